package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baverify/baverify/internal/testenv"
)

// TestE2EVerdictEdges runs the real server's tokens through the edges of
// issue 16 (items 8, 12, 13) and issue 19's localhost hint: an exp past year
// 9999 still gives one JSON object, in single and batch mode; invisible
// characters and pasted framing are named; localhost vs 127.0.0.1 is said
// to be a spelling.
func TestE2EVerdictEdges(t *testing.T) {
	ba := testenv.StartBetterAuth(t, testenv.BetterAuthOptions{Alg: "EdDSA"})
	far := ba.SignJWT(t, map[string]any{"sub": "u1", "exp": int64(253402300800)})
	sess := ba.SignUp(t, "alice@example.com", "correct-horse-battery", "Alice")
	tok := ba.TokenFromEndpoint(t, sess)
	real := runConfig{now: time.Now().Add(time.Second)} // the server signs with the real clock, to the second

	r := run(t, real, "token", "-o", "json", "--no-cache", "--base-url", ba.BaseURL, far)
	var got struct {
		Verdict   string
		ExpiresAt string
		Notes     []string
		Warnings  []struct{ Code, Message string }
		Errors    []struct{ Code, Message, Hint string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != ExitOK || got.Verdict != "valid" || got.ExpiresAt != "253402300800" {
		t.Fatalf("exp past 9999: exit %d %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	batch := filepath.Join(t.TempDir(), "tokens.txt")
	if err := os.WriteFile(batch, []byte(far+"\n"+tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b := run(t, real, "token", "--batch", batch, "-o", "json", "--no-cache", "--base-url", ba.BaseURL); b.code != ExitOK || strings.Count(b.stdout, `"verdict":"valid"`) != 2 {
		t.Fatalf("batch: exit %d\n%s\n%s", b.code, b.stdout, b.stderr)
	}

	r = run(t, real, "token", "-o", "json", "--no-cache", "--base-url", ba.BaseURL, "Authorization: Bearer Bearer "+tok)
	got.Warnings, got.Notes = nil, nil
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != ExitOK || got.Verdict != "valid" ||
		len(got.Notes) != 1 || !strings.Contains(r.stdout, `"code": "header_framing"`) {
		t.Fatalf("Bearer Bearer: exit %d %v\n%s", r.code, err, r.stdout)
	}

	r = run(t, real, "token", "-o", "json", "--no-cache", "--base-url", ba.BaseURL, "\ufeff"+tok)
	got.Errors = nil
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != ExitNegative || len(got.Errors) != 1 ||
		!strings.HasPrefix(got.Errors[0].Message, "byte order mark (U+FEFF) at byte 0, before the header") ||
		!strings.Contains(got.Errors[0].Hint, "with the byte order mark removed the token verifies") {
		t.Fatalf("BOM: exit %d %v\n%s", r.code, err, r.stdout)
	}

	localhost := strings.Replace(ba.BaseURL, "127.0.0.1", "localhost", 1)
	r = run(t, real, "token", "-o", "json", "--no-cache", "--base-url", localhost, tok)
	got.Errors = nil
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil || r.code != ExitNegative || len(got.Errors) != 2 ||
		!strings.Contains(got.Errors[0].Hint, "differ only in the host spelling (127.0.0.1 vs localhost)") ||
		!strings.Contains(got.Errors[0].Hint, "--base-url "+ba.Origin) || !strings.Contains(got.Errors[1].Hint, "the same spelling difference as iss") {
		t.Fatalf("localhost: exit %d %v\n%s", r.code, err, r.stdout)
	}
}
