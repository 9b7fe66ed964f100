package devstack

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// MailpitOptions say how to run the Mailpit mail sink.
type MailpitOptions struct {
	// Binary is Mailpit, built by `make tools`.
	Binary string
	// SMTPPort and HTTPPort at 127.0.0.1; 0 picks free ones.
	SMTPPort, HTTPPort         int
	SMTPPortEnvVar, HTTPEnvVar string
	// DBFile keeps mail between runs; empty keeps it in a throw-away file.
	DBFile  string
	LogFile string
}

// Mailpit is a running mail sink.
type Mailpit struct {
	proc *process
	// SMTPURL is where the application sends mail.
	SMTPURL string
	// APIURL is the base of Mailpit's HTTP API and (blank) web page.
	APIURL string
}

// StartMailpit starts the sink and waits until it is ready.
func StartMailpit(ctx context.Context, logger *slog.Logger, opts MailpitOptions) (*Mailpit, error) {
	if err := requireTool(opts.Binary, "Mailpit"); err != nil {
		return nil, err
	}
	smtpPort, err := claimPort("Mailpit SMTP", opts.SMTPPortEnvVar, opts.SMTPPort)
	if err != nil {
		return nil, err
	}
	httpPort, err := claimPort("Mailpit HTTP", opts.HTTPEnvVar, opts.HTTPPort)
	if err != nil {
		return nil, err
	}
	args := []string{
		"--smtp", "127.0.0.1:" + strconv.Itoa(smtpPort),
		"--listen", "127.0.0.1:" + strconv.Itoa(httpPort),
		// The network here is closed: no update checks, no reverse DNS.
		"--disable-version-check",
		"--smtp-disable-rdns",
		"--smtp-auth-accept-any",
		"--smtp-auth-allow-insecure",
		// Keep every message: tests count them.
		"--max", "0",
	}
	if opts.DBFile != "" {
		if err := os.MkdirAll(filepath.Dir(opts.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("create folder for Mailpit's database: %w", err)
		}
		args = append(args, "--database", opts.DBFile)
	}
	cmd := exec.CommandContext(ctx, opts.Binary, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	proc, err := startProcess("Mailpit", cmd, syscall.SIGTERM, opts.LogFile)
	if err != nil {
		return nil, err
	}
	m := &Mailpit{
		proc:    proc,
		SMTPURL: fmt.Sprintf("smtp://127.0.0.1:%d", smtpPort),
		APIURL:  fmt.Sprintf("http://127.0.0.1:%d", httpPort),
	}
	ready := func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.APIURL+"/readyz", nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s", resp.Status)
		}
		return nil
	}
	if err := proc.waitReady(ctx, 20*time.Second, ready); err != nil {
		_ = m.Stop(context.Background())
		return nil, err
	}
	logReady(logger, "Mailpit", "smtp", m.SMTPURL, "api", m.APIURL+"/api/v1/messages")
	return m, nil
}

// Stop shuts the sink down, waiting at most until ctx's deadline.
func (m *Mailpit) Stop(ctx context.Context) error { return m.proc.stop(ctx) }

// Exited is closed when the sink has ended.
func (m *Mailpit) Exited() <-chan struct{} { return m.proc.Exited() }
