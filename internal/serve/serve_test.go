package serve

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRun_RequestInFlightFinishesAfterShutdownBegins(t *testing.T) {
	entered := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		time.Sleep(300 * time.Millisecond)
		_, _ = io.WriteString(w, "finished")
	})
	srv := NewServer("127.0.0.1:0", handler)
	ctx, cancel := context.WithCancel(context.Background())
	l, err := Listen(ctx, "test", srv)
	if err != nil {
		t.Fatal(err)
	}
	runErr := make(chan error, 1)
	go func() { runErr <- Run(ctx, slog.New(slog.DiscardHandler), "test", srv, l, 5*time.Second) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + l.Addr().String() + "/")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-entered
	cancel() // SIGTERM arrives while the request is being served

	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q, %v; want it to finish", r.body, r.err)
	}
	if err := <-runErr; err != nil {
		t.Fatalf("Run: %v, want a clean shutdown", err)
	}
	if _, err := http.Get("http://" + l.Addr().String() + "/"); err == nil {
		t.Error("server still accepts requests after shutdown")
	}
}

func TestListen_PortAlreadyTakenNamesTheServerAndAddress(t *testing.T) {
	first, err := Listen(context.Background(), "api", NewServer("127.0.0.1:0", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = Listen(context.Background(), "api", NewServer(first.Addr().String(), nil))
	if err == nil {
		t.Fatal("second listener on the same port succeeded")
	}
	if msg := err.Error(); !strings.Contains(msg, "api") || !strings.Contains(msg, first.Addr().String()) {
		t.Errorf("error %q does not name the server and the address", msg)
	}
}
