package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// Stack is a set of running components; any of them may be nil when the
// operator pointed the application at an existing one instead.
type Stack struct {
	Postgres *Postgres
	Temporal *Temporal
	Mailpit  *Mailpit
	// cleanup removes the throw-away folder, if any.
	cleanup func() error
}

// Exited reports the first component to end on its own; it never fires
// for a component the stack did not start.
func (s *Stack) Exited() <-chan string {
	ch := make(chan string, 3)
	watch := func(name string, done <-chan struct{}) {
		go func() {
			<-done
			ch <- name
		}()
	}
	if s.Postgres != nil {
		watch("PostgreSQL", s.Postgres.Exited())
	}
	if s.Temporal != nil {
		watch("Temporal", s.Temporal.Exited())
	}
	if s.Mailpit != nil {
		watch("Mailpit", s.Mailpit.Exited())
	}
	return ch
}

// Stop ends the components in the reverse order of their dependencies and
// removes throw-away data.
func (s *Stack) Stop(ctx context.Context) error {
	var errs []error
	if s.Mailpit != nil {
		errs = append(errs, s.Mailpit.Stop(ctx))
	}
	if s.Temporal != nil {
		errs = append(errs, s.Temporal.Stop(ctx))
	}
	if s.Postgres != nil {
		errs = append(errs, s.Postgres.Stop(ctx))
	}
	if s.cleanup != nil {
		errs = append(errs, s.cleanup())
	}
	return errors.Join(errs...)
}

// Env lists the addresses of the stack as the application's variables,
// plus MAILPIT_URL for tests that read the mail sent.
func (s *Stack) Env() []string {
	var env []string
	if s.Postgres != nil {
		env = append(env, "DATABASE_URL="+s.Postgres.URL)
	}
	if s.Temporal != nil {
		env = append(env, "TEMPORAL_ADDRESS="+s.Temporal.Address)
	}
	if s.Mailpit != nil {
		env = append(env, "SMTP_URL="+s.Mailpit.SMTPURL, "MAILPIT_URL="+s.Mailpit.APIURL)
	}
	return env
}

// ThrowawayOptions choose which components a throw-away stack runs.
type ThrowawayOptions struct {
	ToolsDir  string
	Namespace string
	Postgres  bool
	Temporal  bool
	Mailpit   bool
}

// StartThrowaway starts the chosen components side by side on free ports,
// with their data in a temporary folder removed by Stop.
func StartThrowaway(ctx context.Context, logger *slog.Logger, opts ThrowawayOptions) (*Stack, error) {
	dir, err := os.MkdirTemp("", "openimi-stack-")
	if err != nil {
		return nil, fmt.Errorf("create throw-away folder: %w", err)
	}
	// The postgres account must reach its cluster inside this folder.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open throw-away folder: %w", err)
	}
	stack := &Stack{cleanup: func() error { return os.RemoveAll(dir) }}

	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	record := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		errs = append(errs, err)
	}
	if opts.Postgres {
		wg.Go(func() {
			pg, err := StartPostgres(ctx, logger, PostgresOptions{
				DataDir: filepath.Join(dir, "pg"), Database: "openimi", Throwaway: true,
			})
			if err != nil {
				record(err)
				return
			}
			stack.Postgres = pg
		})
	}
	if opts.Temporal {
		wg.Go(func() {
			t, err := StartTemporal(ctx, logger, TemporalOptions{
				Binary: filepath.Join(opts.ToolsDir, "temporal"), Namespace: opts.Namespace,
			})
			if err != nil {
				record(err)
				return
			}
			stack.Temporal = t
		})
	}
	if opts.Mailpit {
		wg.Go(func() {
			m, err := StartMailpit(ctx, logger, MailpitOptions{Binary: filepath.Join(opts.ToolsDir, "mailpit")})
			if err != nil {
				record(err)
				return
			}
			stack.Mailpit = m
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		_ = stack.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	return stack, nil
}

// FindToolsDir returns the folder of the pinned tools: OPENIMI_TOOLS_DIR
// when set, else bin/ at the root of the module that holds the working
// folder, so that tests find it from any package.
func FindToolsDir() (string, error) {
	if dir := os.Getenv("OPENIMI_TOOLS_DIR"); dir != "" {
		return filepath.Abs(dir)
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find tools folder: %w", err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "bin"), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("find tools folder: no go.mod above %s; set OPENIMI_TOOLS_DIR", wd)
		}
	}
}
