package probe

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"
)

// TestListenerCloseEndsStalledConnections: a client that sends half a
// request and waits is cut off when the probe ends, not left to the
// server's ten-second header timeout.
func TestListenerCloseEndsStalledConnections(t *testing.T) {
	t.Parallel()
	_, _, l := startTestListener(t, "ES256")
	c, err := net.Dial("tcp", l.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("GET /jku/jwks.json HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the server has read the first bytes: the connection is active
	closed := make(chan error, 1)
	go func() { closed <- l.Close() }()
	c.SetReadDeadline(time.Now().Add(4 * time.Second))
	_, err = c.Read(make([]byte, 1))
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatal("the stalled connection was still open 4 s after Close")
	}
	select {
	case <-closed:
	case <-time.After(4 * time.Second):
		t.Fatal("Close did not return")
	}
}

// startTestListener starts an attacker listener on loopback for a real token
// of alg; the caller closes it.
func startTestListener(t *testing.T, alg string) (realToken, *Attacker, *Listener) {
	t.Helper()
	rt := loadReal(t, alg)
	a, err := NewAttacker(rt.token, nil)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen("127.0.0.1:0", "", a)
	if err != nil {
		t.Fatal(err)
	}
	return rt, a, l
}
