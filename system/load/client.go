package load

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"
)

// CheckLoopback refuses an address that is not on this machine. addr is a
// URL or a host:port.
func CheckLoopback(addr string) error {
	host := addr
	if u, err := url.Parse(addr); err == nil && u.Host != "" {
		host = u.Hostname()
	} else if h, _, err := net.SplitHostPort(addr); err == nil {
		host = h
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("load: %s is not a loopback address: the load tool drives only a system on this machine", addr)
}

// API calls OpenIMI's HTTP API and records every call.
type API struct {
	base string
	http *http.Client
	rec  *Recorder
}

// NewAPI returns a client of the API at base (e.g. http://127.0.0.1:8080),
// recording into rec.
func NewAPI(base string, concurrency int, rec *Recorder) (*API, error) {
	if err := CheckLoopback(base); err != nil {
		return nil, err
	}
	transport := http.DefaultTransport.(*http.Transport).Clone()
	// One kept-alive connection per virtual official: the default of two
	// would make most calls open a new connection and measure the kernel.
	transport.MaxIdleConnsPerHost = concurrency + 4
	return &API{
		base: base,
		// An action waits for its workflow's update; beyond this the
		// system is not answering and the call counts as failed.
		http: &http.Client{Transport: transport, Timeout: 60 * time.Second},
		rec:  rec,
	}, nil
}

// Close releases the kept-alive connections.
func (a *API) Close() { a.http.CloseIdleConnections() }

// StatusError is an answer other than the one expected.
type StatusError struct {
	Action string
	Status int
	Body   string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s: status %d: %s", e.Action, e.Status, e.Body)
}

// Call sends one request, records it under action, and decodes a JSON
// answer into out when out is not nil. Any status but want is an error.
func (a *API) Call(ctx context.Context, action, method, path, token string, body any, want int, out any) error {
	return a.CallWithKey(ctx, action, method, path, token, "", body, want, out)
}

// CallWithKey is Call with an Idempotency-Key (none when key is empty): a
// client that retries a call whose answer it lost sends the same key, so
// that the API can tell a retry from a second action.
func (a *API) CallWithKey(ctx context.Context, action, method, path, token, key string, body any, want int, out any) error {
	var reader io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("%s: encode: %w", action, err)
		}
		reader = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, reader)
	if err != nil {
		return fmt.Errorf("%s: %w", action, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	started := time.Now()
	resp, err := a.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			// Stopped by the end of the run, not failed: not recorded.
			return fmt.Errorf("%s: %w", action, ctx.Err())
		}
		a.rec.Observe(action, 0, time.Since(started), false)
		return fmt.Errorf("%s: %w", action, err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(started)
	if err != nil {
		a.rec.Observe(action, 0, took, false)
		return fmt.Errorf("%s: read the answer: %w", action, err)
	}
	a.rec.Observe(action, resp.StatusCode, took, resp.StatusCode == want)
	if resp.StatusCode != want {
		return &StatusError{Action: action, Status: resp.StatusCode, Body: truncate(string(data), 300)}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: decode the answer: %w", action, err)
		}
	}
	return nil
}

// WaitReady waits until the API answers /readyz with 200, for at most
// timeout: the load tool is often started in the same breath as the API.
func (a *API) WaitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.base+"/readyz", nil)
		if err != nil {
			return fmt.Errorf("readiness: %w", err)
		}
		resp, err := a.http.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Errorf("readyz answered %s", resp.Status)
		} else {
			last = err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the API at %s is not ready after %s: %w", a.base, timeout, errors.Join(last, ctx.Err()))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
