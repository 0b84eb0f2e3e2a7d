package httpclient

import "testing"

func TestRedactURLPasswords(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"no url here", "no url here"},
		{"http://example.com/a@b", "http://example.com/a@b"},
		{"http://user@example.com/", "http://user@example.com/"},
		{"http://user:s3cret@example.com/x", "http://user:xxxxx@example.com/x"},
		{`base URL "http://user:s3cret@exa mple.com/x": parse "http://user:s3cret@exa mple.com/x": invalid character`,
			`base URL "http://user:xxxxx@exa mple.com/x": parse "http://user:xxxxx@exa mple.com/x": invalid character`},
		{"http://user:s3cret@[::1: missing ']'", "http://user:xxxxx@[::1: missing ']'"},
		{"ftp://u:p@h/ and https://a:b@c:8443?q", "ftp://u:xxxxx@h/ and https://a:xxxxx@c:8443?q"},
		{"http://u:p:q@host", "http://u:xxxxx@host"},
		{"://:@", "://:xxxxx@"},
	} {
		if got := RedactURLPasswords(tc.in); got != tc.want {
			t.Errorf("RedactURLPasswords(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func FuzzRedactURLPasswords(f *testing.F) {
	f.Add("http://user:s3cret@example.com/x")
	f.Add("a://b:c@d://e:f@g")
	f.Fuzz(func(t *testing.T, s string) {
		got := RedactURLPasswords(s)
		if RedactURLPasswords(got) != got {
			t.Fatalf("not idempotent: %q -> %q", s, got)
		}
	})
}
