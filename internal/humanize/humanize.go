// Package humanize writes durations, times and long text the way people
// read them.
package humanize

import (
	"fmt"
	"math"
	"time"
	"unicode/utf8"
)

// Duration writes d compactly, to the second: "45s", "12m3s", "2h5m",
// "3d4h", "1y35d" (a year is 365 days). Negative durations are written
// without sign.
func Duration(d time.Duration) string {
	s := int64(d / time.Second)
	if r := d % time.Second; r >= time.Second/2 {
		s++
	} else if r <= -time.Second/2 {
		s--
	}
	return seconds(s)
}

func seconds(s int64) string {
	if s < 0 {
		s = -s
	}
	switch {
	case s < 60:
		return fmt.Sprintf("%ds", s)
	case s < 3600:
		if s%60 == 0 {
			return fmt.Sprintf("%dm", s/60)
		}
		return fmt.Sprintf("%dm%ds", s/60, s%60)
	case s < 86400:
		if (s%3600)/60 == 0 {
			return fmt.Sprintf("%dh", s/3600)
		}
		return fmt.Sprintf("%dh%dm", s/3600, (s%3600)/60)
	case s < 365*86400:
		if (s%86400)/3600 == 0 {
			return fmt.Sprintf("%dd", s/86400)
		}
		return fmt.Sprintf("%dd%dh", s/86400, (s%86400)/3600)
	default:
		const year = 365 * 86400
		if (s%year)/86400 == 0 {
			return fmt.Sprintf("%dy", s/year)
		}
		return fmt.Sprintf("%dy%dd", s/year, (s%year)/86400)
	}
}

// Relative describes t against now: "in 12m3s" or "3m ago". Times further
// apart than a time.Duration holds (about 292 years) are told in seconds
// of Unix time, not saturated.
func Relative(t, now time.Time) string {
	d := t.Sub(now)
	if d == math.MaxInt64 || d == math.MinInt64 {
		s := t.Unix() - now.Unix()
		if s >= 0 {
			return "in " + seconds(s)
		}
		return seconds(s) + " ago"
	}
	if d >= 0 {
		return "in " + Duration(d)
	}
	return Duration(d) + " ago"
}

// Time writes t in UTC, to the second (RFC 3339).
func Time(t time.Time) string {
	return t.UTC().Format(time.RFC3339)
}

// Clip bounds s to n bytes for display, cut on a rune boundary and marked
// with "…" when it was cut.
func Clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := max(n, 0)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// EditDistance is the Levenshtein distance between a and b (in bytes), for
// "did you mean" suggestions.
func EditDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
