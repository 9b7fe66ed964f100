package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system"
)

func apiCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "api",
		Short: "Serve the HTTP API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			sys, err := openSystem(ctx, "api")
			if err != nil {
				return err
			}
			defer sys.Close()
			if err := system.BootstrapHelpdesk(ctx, sys.Config, sys.Store, sys.Log); err != nil {
				return err
			}
			return sys.ServeAPI(ctx)
		},
	}
}

func workerCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "worker",
		Short: "Run the Temporal worker that executes workflows and activities",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			sys, err := openSystem(ctx, "worker")
			if err != nil {
				return err
			}
			defer sys.Close()
			g, ctx := errgroup.WithContext(ctx)
			g.Go(func() error { return sys.ServeWorkerProbes(ctx) })
			g.Go(func() error { return sys.RunWorker(ctx) })
			return g.Wait()
		},
	}
}

func migrateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply pending database migrations",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, log, err := system.LoadConfig()
			if err != nil {
				return err
			}
			log.Info("starting migrate", "config", cfg)
			cat, err := system.LoadCatalog(log)
			if err != nil {
				return err
			}
			db, err := models.Open(ctx, cfg.DatabaseURL, log)
			if err != nil {
				return err
			}
			defer models.Close(db)
			return system.Migrate(ctx, models.NewStore(db), cat, log)
		},
	}
}

func healthcheckCommand() *cobra.Command {
	var url string
	cmd := &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the URL answers 2xx: a container health check without curl",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel := context.WithTimeout(cmd.Context(), 3*time.Second)
			defer cancel()
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return fmt.Errorf("healthcheck: %w", err)
			}
			defer resp.Body.Close()
			if resp.StatusCode < 200 || resp.StatusCode > 299 {
				return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080/readyz", "URL to probe")
	return cmd
}

// openSystem reads the configuration, says what the process starts with,
// and connects to the database and Temporal.
func openSystem(ctx context.Context, role string) (*system.System, error) {
	cfg, log, err := system.LoadConfig()
	if err != nil {
		return nil, err
	}
	log.Info("starting "+role, "config", cfg)
	return system.Open(ctx, cfg, log)
}
