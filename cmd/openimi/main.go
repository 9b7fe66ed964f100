// Command openimi is OpenIMI's one binary: the API server, the Temporal
// worker, the migrations, and the embedded stack for development and tests.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/gin-gonic/gin"
	"github.com/spf13/cobra"
)

func main() {
	// Gin's debug mode prints every route at start and warns on each run.
	gin.SetMode(gin.ReleaseMode)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := rootCommand().ExecuteContext(ctx)
	stop()
	if err != nil {
		if code, ok := err.(exitCode); ok {
			os.Exit(int(code))
		}
		fmt.Fprintln(os.Stderr, "openimi:", err)
		os.Exit(1)
	}
}

// exitCode passes a child's exit status through without a message.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "openimi",
		Short: "Administrative cooperation between public authorities across borders",
		Long: `OpenIMI: public authorities register, find each other and exchange structured
requests for information, driven by durable Temporal workflows.

Every setting comes from an environment variable; see README.md.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		apiCommand(),
		workerCommand(),
		migrateCommand(),
		seedCommand(),
		devCommand(),
		stackCommand(),
		healthcheckCommand(),
		loadCommand(),
		versionCommand(),
		auditCommand(),
	)
	return root
}
