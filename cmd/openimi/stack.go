package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/openimi/openimi/internal/devstack"
	"github.com/openimi/openimi/internal/observability"
)

func stackCommand() *cobra.Command {
	var opts devstack.ThrowawayOptions
	var temporal string
	cmd := &cobra.Command{
		Use:   "stack -- COMMAND [ARG...]",
		Short: "Run a command against a throw-away stack (PostgreSQL, Temporal, Mailpit) on free ports",
		Long: `Start PostgreSQL, Temporal's development server (in memory, headless) and
Mailpit on free ports with their data in a temporary folder, run COMMAND with
DATABASE_URL, TEMPORAL_ADDRESS, SMTP_URL and MAILPIT_URL set to them, then
stop everything and remove the data. ` + "`make test`" + ` runs the tests this way.

With --temporal=server it runs the Temporal server itself (built by ` + "`make cluster-tools`" + `)
on the same PostgreSQL cluster, with deploy/temporal/dynamicconfig.yaml: the
topology operators deploy. ` + "`make test-cluster`" + ` runs the end-to-end tests this way.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			log := observability.NewLogger(os.Stderr, "auto", nil)
			tools, err := devstack.FindToolsDir()
			if err != nil {
				return err
			}
			opts.ToolsDir = tools
			if temporal != "dev" && temporal != "server" {
				return fmt.Errorf("--temporal=%q: want dev or server", temporal)
			}
			opts.Postgres, opts.Temporal, opts.Mailpit = true, temporal == "dev", true
			started := time.Now()
			stack, err := devstack.StartThrowaway(ctx, log, opts)
			if err != nil {
				return err
			}
			defer func() {
				stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
				defer cancel()
				if err := stack.Stop(stopCtx); err != nil {
					log.Error("stop the stack", "err", err)
				}
			}()
			env := stack.Env()
			if temporal == "server" {
				server, err := startTemporalServer(ctx, log, tools, stack, opts.Namespace)
				if err != nil {
					return err
				}
				// Before the stack's PostgreSQL, which the deferred Stop ends.
				defer func() {
					stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
					defer cancel()
					if err := server.Stop(stopCtx); err != nil {
						log.Error("stop the Temporal server", "err", err)
					}
				}()
				env = append(env, "TEMPORAL_ADDRESS="+server.Address, "OPENIMI_TEMPORAL=server")
			}
			log.Info("stack ready", "took", time.Since(started).Round(time.Millisecond).String())
			return runWithEnv(ctx, args, env)
		},
	}
	cmd.Flags().StringVar(&opts.Namespace, "namespace", "default", "Temporal namespace to create")
	cmd.Flags().StringVar(&temporal, "temporal", "dev", "which Temporal to run: dev (the CLI's dev server) or server (the server on PostgreSQL)")
	return cmd
}

// startTemporalServer runs the Temporal server on the stack's PostgreSQL,
// its rendered configuration in a folder of its own.
func startTemporalServer(ctx context.Context, log *slog.Logger, tools string, stack *devstack.Stack, namespace string) (*devstack.TemporalServer, error) {
	dynamicConfig, err := devstack.FindRepoFile(filepath.Join("deploy", "temporal", "dynamicconfig.yaml"))
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "openimi-temporal-")
	if err != nil {
		return nil, fmt.Errorf("create folder for the Temporal server: %w", err)
	}
	server, err := devstack.StartTemporalServer(ctx, log, devstack.TemporalServerOptions{
		Binary:        filepath.Join(tools, "temporal-server"),
		SchemaTool:    filepath.Join(tools, "temporal-sql-tool"),
		PostgresURL:   stack.Postgres.URL,
		DynamicConfig: dynamicConfig,
		Dir:           dir,
		Namespace:     namespace,
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return server, nil
}

// runWithEnv runs the command with extra variables and passes its exit
// status through. The child shares the terminal's process group, so Ctrl-C
// reaches it directly; a SIGTERM sent to this process is passed on.
func runWithEnv(ctx context.Context, args, env []string) error {
	child := exec.Command(args[0], args[1:]...)
	child.Env = append(os.Environ(), env...)
	child.Stdin, child.Stdout, child.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := child.Start(); err != nil {
		return fmt.Errorf("start %s: %w", args[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- child.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = child.Process.Signal(os.Interrupt)
		err = <-done
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return exitCode(exitErr.ExitCode())
	}
	return err
}
