// Package serve runs an HTTP server until its context ends, then lets the
// requests in flight finish.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// NewServer returns a server with the timeouts a public endpoint needs:
// a client that sends its headers slowly cannot hold a connection forever.
func NewServer(addr string, handler http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}

// Listen binds the server's address, so that a port already taken is
// reported at once, before anything else starts.
func Listen(ctx context.Context, name string, srv *http.Server) (net.Listener, error) {
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, "tcp", srv.Addr)
	if err != nil {
		return nil, fmt.Errorf("%s: listen on %s: %w", name, srv.Addr, err)
	}
	return l, nil
}

// Run serves on l until ctx ends, then shuts down gracefully: no new
// connections, requests in flight get shutdownTimeout to finish.
func Run(ctx context.Context, log *slog.Logger, name string, srv *http.Server, l net.Listener, shutdownTimeout time.Duration) error {
	errCh := make(chan error, 1)
	go func() { errCh <- srv.Serve(l) }()
	log.InfoContext(ctx, name+" listening", "addr", l.Addr().String())

	select {
	case err := <-errCh:
		return fmt.Errorf("%s: %w", name, err)
	case <-ctx.Done():
	}
	log.InfoContext(ctx, name+" shutting down", "grace", shutdownTimeout.String())
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("%s: graceful shutdown: %w", name, err)
	}
	if err := <-errCh; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}
