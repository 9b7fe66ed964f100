package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"

	"github.com/spf13/cobra"

	"github.com/openimi/openimi/internal/devstack"
	"github.com/openimi/openimi/internal/observability"
)

func stackCommand() *cobra.Command {
	var opts devstack.ThrowawayOptions
	cmd := &cobra.Command{
		Use:   "stack -- COMMAND [ARG...]",
		Short: "Run a command against a throw-away stack (PostgreSQL, Temporal, Mailpit) on free ports",
		Long: `Start PostgreSQL, Temporal's development server (in memory, headless) and
Mailpit on free ports with their data in a temporary folder, run COMMAND with
DATABASE_URL, TEMPORAL_ADDRESS, SMTP_URL and MAILPIT_URL set to them, then
stop everything and remove the data. ` + "`make test`" + ` runs the tests this way.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			log := observability.NewLogger(os.Stderr, "auto", nil)
			tools, err := devstack.FindToolsDir()
			if err != nil {
				return err
			}
			opts.ToolsDir = tools
			opts.Postgres, opts.Temporal, opts.Mailpit = true, true, true
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
			log.Info("stack ready", "took", time.Since(started).Round(time.Millisecond).String())
			return runWithEnv(ctx, args, stack.Env())
		},
	}
	cmd.Flags().StringVar(&opts.Namespace, "namespace", "default", "Temporal namespace to create")
	return cmd
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
