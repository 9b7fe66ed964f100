package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/openimi/openimi/internal/config"
	"github.com/openimi/openimi/internal/devstack"
	"github.com/openimi/openimi/internal/serve"
	"github.com/openimi/openimi/system"
	"github.com/openimi/openimi/system/demo"
)

// devBootstrapPassword lets a developer log in on a fresh `make dev`; it is
// used only by the dev command and only when no password is set.
const devBootstrapPassword = "openimi-dev-helpdesk"

func devCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "dev",
		Short: "Run the whole system on one machine: PostgreSQL, Temporal, Mailpit, migrations, API and worker",
		Long: `Run the whole system on one machine. PostgreSQL, Temporal's development server
and Mailpit are started from local binaries, with their data kept in
OPENIMI_DATA_DIR (.data/) between runs; a component whose address is set
(DATABASE_URL, TEMPORAL_ADDRESS, SMTP_URL) is used instead of started.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runDev(cmd.Context()) },
	}
}

func runDev(ctx context.Context) error {
	cfg, log, err := system.LoadConfig()
	if err != nil {
		return err
	}
	if !cfg.Given("OPENIMI_BOOTSTRAP_PASSWORD") {
		cfg.BootstrapPassword = devBootstrapPassword
	}
	// The API's port is the one most often taken by something else; finding
	// out before starting the stack saves a start and a stop.
	if err := probePort(ctx, "HTTP_ADDR", cfg.HTTPAddr); err != nil {
		return err
	}
	if err := probePort(ctx, "METRICS_ADDR", cfg.MetricsAddr); err != nil {
		return err
	}

	stack, err := startDevStack(ctx, &cfg, log)
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := stack.Stop(stopCtx); err != nil {
			log.Error("stop the dev stack", "err", err)
		}
		log.Info("dev stack stopped")
	}()
	if err != nil {
		return err
	}
	log.Info("starting dev", "config", cfg)

	sys, err := system.Open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer sys.Close()
	sys.RunsWorkerToo()
	if stack.Mailpit != nil {
		sys.DevMailAPI = stack.Mailpit.APIURL
	}
	if err := system.Migrate(ctx, sys.Store, sys.Catalog, log); err != nil {
		return err
	}
	if err := system.BootstrapHelpdesk(ctx, cfg, sys.Store, log); err != nil {
		return err
	}
	empty, err := sys.Store.DirectoryIsEmpty(ctx)
	if err != nil {
		return err
	}
	printDevSummary(cfg, stack, empty || hasDemoLogins(ctx, sys.Store))

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return sys.ServeAPI(gctx) })
	g.Go(func() error { return sys.RunWorker(gctx) })
	if empty {
		// Beside the API and the worker rather than before them: the worker
		// must start soon after its Temporal client is dialled, and seeding
		// takes a second.
		g.Go(func() error { return seedDemoIfEmpty(gctx, sys.Store, demo.CatalogCompetences(sys.Catalog), log) })
	}
	g.Go(func() error {
		select {
		case name := <-stack.Exited():
			return fmt.Errorf("%s exited unexpectedly; see its log in %s", name, cfg.DataDir)
		case <-gctx.Done():
			return nil
		}
	})
	if err := g.Wait(); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

// startDevStack starts every component the operator did not point
// elsewhere and writes their addresses into cfg. The returned stack holds
// what was started, even on error, so that it can be stopped.
func startDevStack(ctx context.Context, cfg *config.Config, log *slog.Logger) (*devstack.Stack, error) {
	stack := &devstack.Stack{}
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return stack, fmt.Errorf("data folder: %w", err)
	}
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return stack, fmt.Errorf("create data folder: %w", err)
	}
	tools, err := filepath.Abs(cfg.ToolsDir)
	if err != nil {
		return stack, fmt.Errorf("tools folder: %w", err)
	}
	if !cfg.Given("DATABASE_URL") {
		pg, err := devstack.StartPostgres(ctx, log, devstack.PostgresOptions{
			DataDir:    filepath.Join(dataDir, "pg"),
			Port:       cfg.DevPostgresPort,
			PortEnvVar: "OPENIMI_DEV_PG_PORT",
			Database:   "openimi",
			LogFile:    filepath.Join(dataDir, "postgres.log"),
		})
		if err != nil {
			return stack, err
		}
		stack.Postgres = pg
		cfg.DatabaseURL = pg.URL
	}
	if !cfg.Given("TEMPORAL_ADDRESS") {
		t, err := devstack.StartTemporal(ctx, log, devstack.TemporalOptions{
			Binary:       filepath.Join(tools, "temporal"),
			Port:         cfg.DevTemporalPort,
			PortEnvVar:   "OPENIMI_DEV_TEMPORAL_PORT",
			UIPort:       cfg.DevTemporalUI,
			UIPortEnvVar: "OPENIMI_DEV_TEMPORAL_UI_PORT",
			DBFile:       filepath.Join(dataDir, "temporal.db"),
			Namespace:    cfg.TemporalNamespace,
			LogFile:      filepath.Join(dataDir, "temporal.log"),
		})
		if err != nil {
			return stack, err
		}
		stack.Temporal = t
		cfg.TemporalAddress = t.Address
	}
	if !cfg.Given("SMTP_URL") {
		m, err := devstack.StartMailpit(ctx, log, devstack.MailpitOptions{
			Binary:         filepath.Join(tools, "mailpit"),
			SMTPPort:       cfg.DevMailSMTPPort,
			SMTPPortEnvVar: "OPENIMI_DEV_SMTP_PORT",
			HTTPPort:       cfg.DevMailHTTPPort,
			HTTPEnvVar:     "OPENIMI_DEV_MAILPIT_PORT",
			DBFile:         filepath.Join(dataDir, "mailpit.db"),
			LogFile:        filepath.Join(dataDir, "mailpit.log"),
		})
		if err != nil {
			return stack, err
		}
		stack.Mailpit = m
		cfg.SMTPURL = m.SMTPURL
	}
	return stack, nil
}

func probePort(ctx context.Context, variable, addr string) error {
	l, err := serve.Listen(ctx, "api", serve.NewServer(addr, nil))
	if err != nil {
		return fmt.Errorf("%w: stop what listens there or set %s", err, variable)
	}
	return l.Close()
}

func printDevSummary(cfg config.Config, stack *devstack.Stack, demoLogins bool) {
	fmt.Println("OpenIMI is running:")
	fmt.Printf("  Pages        %s/  (sign in below)\n", cfg.PublicURL)
	if stack.Mailpit != nil {
		fmt.Printf("  Mailbox      %s/dev/mail  (the mails sent, with their links)\n", cfg.PublicURL)
	}
	fmt.Printf("  API          %s/api/v1  (OpenAPI: %s/api/v1/openapi.json)\n", cfg.PublicURL, cfg.PublicURL)
	if stack.Temporal != nil && stack.Temporal.UIURL != "" {
		fmt.Printf("  Temporal UI  %s\n", stack.Temporal.UIURL)
	} else {
		fmt.Printf("  Temporal     %s (not started here)\n", cfg.TemporalAddress)
	}
	if stack.Mailpit != nil {
		fmt.Printf("  Mailpit      %s/api/v1/messages  (SMTP %s)\n", stack.Mailpit.APIURL, stack.Mailpit.SMTPURL)
	} else {
		fmt.Printf("  Mail         %s (not started here)\n", config.RedactURL(cfg.SMTPURL))
	}
	fmt.Printf("  PostgreSQL   %s\n", config.RedactURL(cfg.DatabaseURL))
	fmt.Printf("  Helpdesk     %s (password from OPENIMI_BOOTSTRAP_PASSWORD, in dev by default %q)\n", cfg.BootstrapEmail, devBootstrapPassword)
	if demoLogins {
		fmt.Printf("  Demo logins  coordinator|admin|handler|allocator.<country>@%s, e.g. handler.pl@%s (password %q)\n",
			demo.LoginDomain, demo.LoginDomain, demo.Password)
	}
	fmt.Println("Press Ctrl-C to stop.")
}
