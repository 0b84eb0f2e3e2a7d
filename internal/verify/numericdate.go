package verify

import (
	"encoding/json"
	"errors"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// NumericDate is a JWT time (RFC 7519 section 2): seconds since the epoch,
// possibly fractional. It is kept exact, as a rational, so that
// 1700000000.5 is never rounded into a different verdict.
type NumericDate struct {
	seconds *big.Rat
	Raw     string
}

// maxNumericDate bounds what baverify accepts (about year 33658); beyond it
// a value is a bug or an attack on the parser, not a date.
const maxNumericDate = 1e12

var errNotNumericDate = errors.New("not a NumericDate")

// ParseNumericDate parses a JSON number. Strings, booleans and numbers with
// absurd exponents are refused.
func ParseNumericDate(raw json.RawMessage) (NumericDate, error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || len(s) > 64 {
		return NumericDate{}, errNotNumericDate
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil || s[0] == '"' {
		return NumericDate{}, errNotNumericDate
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > maxNumericDate {
		return NumericDate{}, errors.New("out of range for a NumericDate")
	}
	// big.Rat materialises 10^exp: keep exponents small so that "1e-99999"
	// cannot make it allocate megabytes.
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(s[i+1:], "+"))
		if err != nil || exp < -40 || exp > 40 {
			return NumericDate{}, errors.New("out of range for a NumericDate")
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return NumericDate{}, errNotNumericDate
	}
	return NumericDate{seconds: r, Raw: s}, nil
}

// Time returns the date as a time.Time, truncated to nanoseconds.
func (d NumericDate) Time() time.Time {
	num, den := d.seconds.Num(), d.seconds.Denom()
	sec, rem := new(big.Int).DivMod(num, den, new(big.Int)) // floor, rem >= 0
	nanos := new(big.Int).Mul(rem, big.NewInt(1e9))
	nanos.Quo(nanos, den)
	return time.Unix(sec.Int64(), nanos.Int64()).UTC()
}

// Cmp compares the date with t exactly: -1, 0 or +1.
func (d NumericDate) Cmp(t time.Time) int {
	return d.seconds.Cmp(ratOf(t))
}

// Sub returns d - t, truncated to nanoseconds.
func (d NumericDate) Sub(t time.Time) time.Duration {
	diff := new(big.Rat).Sub(d.seconds, ratOf(t))
	diff.Mul(diff, big.NewRat(1e9, 1))
	q := new(big.Int).Quo(diff.Num(), diff.Denom())
	if !q.IsInt64() {
		if q.Sign() < 0 {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	return time.Duration(q.Int64())
}

// SecondsSince returns d - t in whole seconds, truncated toward zero. It is
// exact for every value ParseNumericDate accepts, where Sub saturates at
// about 292 years.
func (d NumericDate) SecondsSince(t time.Time) int64 {
	diff := new(big.Rat).Sub(d.seconds, ratOf(t))
	return new(big.Int).Quo(diff.Num(), diff.Denom()).Int64()
}

// String writes the value in plain decimal notation, exactly: 1795707986,
// 253402300800.5, -1000000000000 (an exponent is written out).
func (d NumericDate) String() string {
	if d.seconds == nil {
		return ""
	}
	den := d.seconds.Denom()
	// A value parsed from a JSON number is a decimal fraction: its
	// denominator divides a power of ten, reached within the exponent
	// bound ParseNumericDate keeps.
	pow := big.NewInt(1)
	for n := 0; n <= 128; n++ {
		if new(big.Int).Mod(pow, den).Sign() == 0 {
			return d.seconds.FloatString(n)
		}
		pow.Mul(pow, big.NewInt(10))
	}
	return d.Raw
}

// Instant is a time in baverify's JSON output: RFC 3339 while its year
// fits RFC 3339 (0000 to 9999), otherwise the NumericDate it was read
// from, as a string of decimal seconds ("253402300800"), so that the field
// is always a string and the object is always written.
type Instant struct {
	time.Time
	Date NumericDate
}

// MarshalJSON writes the instant as a JSON string.
func (i Instant) MarshalJSON() ([]byte, error) {
	if y := i.Year(); y >= 0 && y <= 9999 {
		return i.Time.MarshalJSON()
	}
	return json.Marshal(i.Date.String())
}

// Seconds returns the value as float64, for JSON output.
func (d NumericDate) Seconds() float64 {
	f, _ := d.seconds.Float64()
	return f
}

func ratOf(t time.Time) *big.Rat {
	sec := big.NewRat(t.Unix(), 1)
	return sec.Add(sec, big.NewRat(int64(t.Nanosecond()), 1e9))
}
