package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"golang.org/x/crypto/bcrypt"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/api"
	"github.com/openimi/openimi/internal/config"
	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/internal/observability"
	"github.com/openimi/openimi/internal/serve"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/worker"
)

// loadConfig reads the environment and builds the logger; a bad setting is
// returned as the one line the program stops with.
func loadConfig() (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(os.Environ())
	if err != nil {
		return config.Config{}, nil, err
	}
	log := observability.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	return cfg, log, nil
}

// runtime is what the api and the worker share: the database, the Temporal
// client and the metrics registry.
type runtime struct {
	cfg      config.Config
	log      *slog.Logger
	metrics  *observability.Metrics
	store    *models.Store
	temporal client.Client
}

func openRuntime(ctx context.Context, cfg config.Config, log *slog.Logger) (*runtime, error) {
	metrics, err := observability.NewMetrics()
	if err != nil {
		return nil, err
	}
	db, err := models.Open(ctx, cfg.DatabaseURL, log)
	if err != nil {
		return nil, err
	}
	dialCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	tc, err := client.DialContext(dialCtx, client.Options{
		HostPort:       cfg.TemporalAddress,
		Namespace:      cfg.TemporalNamespace,
		Logger:         sdklog.NewStructuredLogger(log.With("component", "temporal")),
		MetricsHandler: metrics.Temporal,
	})
	if err != nil {
		_ = models.Close(db)
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", cfg.TemporalAddress, cfg.TemporalNamespace, err)
	}
	return &runtime{cfg: cfg, log: log, metrics: metrics, store: models.NewStore(db), temporal: tc}, nil
}

func (rt *runtime) close() {
	rt.temporal.Close()
	if err := models.Close(rt.store.DB()); err != nil {
		rt.log.Warn("close database", "err", err)
	}
	if err := rt.metrics.Close(); err != nil {
		rt.log.Warn("close metrics", "err", err)
	}
}

func (rt *runtime) readiness() map[string]api.ReadinessCheck {
	return map[string]api.ReadinessCheck{
		"database": rt.store.Ping,
		"temporal": func(ctx context.Context) error {
			_, err := rt.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
	}
}

// serveAPI runs the HTTP API until ctx ends.
func (rt *runtime) serveAPI(ctx context.Context) error {
	router, err := api.NewRouter(api.Deps{Logger: rt.log, Registry: rt.metrics.Registry, Readiness: rt.readiness()})
	if err != nil {
		return err
	}
	srv := serve.NewServer(rt.cfg.HTTPAddr, router)
	l, err := serve.Listen(ctx, "api", srv)
	if err != nil {
		return err
	}
	return serve.Run(ctx, rt.log, "api", srv, l, rt.cfg.ShutdownTimeout)
}

// runWorker polls the task queue and delivers the mail outbox until ctx
// ends, then drains: activities and mails in flight finish before it
// returns.
func (rt *runtime) runWorker(ctx context.Context) error {
	mailer, sender, err := rt.newMailDispatcher()
	if err != nil {
		return err
	}
	defer sender.Close()
	w := worker.New(rt.temporal, rt.cfg.TaskQueue, &activities.Activities{Store: rt.store})
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker on task queue %s: %w", rt.cfg.TaskQueue, err)
	}
	rt.log.Info("worker polling", "task_queue", rt.cfg.TaskQueue, "namespace", rt.cfg.TemporalNamespace)
	mailDone := make(chan error, 1)
	go func() { mailDone <- mailer.Run(ctx) }()
	<-ctx.Done()
	rt.log.Info("worker draining")
	w.Stop()
	return <-mailDone
}

// newMailDispatcher builds the outbox's dispatcher and the SMTP sender it
// delivers through; a bad SMTP_URL stops the worker at start.
func (rt *runtime) newMailDispatcher() (*mail.Dispatcher, *mail.SMTPSender, error) {
	smtpCfg, err := mail.ParseSMTPURL(rt.cfg.SMTPURL)
	if err != nil {
		return nil, nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	templates, err := mail.LoadTemplates()
	if err != nil {
		return nil, nil, err
	}
	sender := mail.NewSMTPSender(smtpCfg)
	d, err := mail.NewDispatcher(rt.store, templates, sender, mail.DispatcherOptions{
		From:        rt.cfg.MailFrom,
		PublicURL:   rt.cfg.PublicURL,
		Concurrency: sender.MaxConnections(),
		Logger:      rt.log,
		Registerer:  rt.metrics.Registry,
	})
	if err != nil {
		sender.Close()
		return nil, nil, err
	}
	return d, sender, nil
}

// serveWorkerProbes exposes the worker's health and metrics, for an
// orchestrator that runs the worker as its own process.
func (rt *runtime) serveWorkerProbes(ctx context.Context) error {
	router := api.NewProbeRouter(api.Deps{Logger: rt.log, Registry: rt.metrics.Registry, Readiness: rt.readiness()})
	srv := serve.NewServer(rt.cfg.WorkerHTTPAddr, router)
	l, err := serve.Listen(ctx, "worker probes", srv)
	if err != nil {
		return err
	}
	return serve.Run(ctx, rt.log, "worker probes", srv, l, rt.cfg.ShutdownTimeout)
}

// bootstrapHelpdesk creates the first helpdesk account when absent, so that
// a new installation has somebody who can register national coordinators.
func bootstrapHelpdesk(ctx context.Context, cfg config.Config, store *models.Store, log *slog.Logger) error {
	if cfg.BootstrapPassword == "" {
		log.Warn("OPENIMI_BOOTSTRAP_PASSWORD is not set: no helpdesk account is created", "email", cfg.BootstrapEmail)
		return nil
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(cfg.BootstrapPassword), bcrypt.DefaultCost)
	if err != nil {
		return fmt.Errorf("hash bootstrap password: %w", err)
	}
	created, err := store.EnsureHelpdeskAccount(ctx, cfg.BootstrapEmail, string(hash))
	if err != nil {
		return err
	}
	if created {
		log.Info("helpdesk account created", "email", cfg.BootstrapEmail)
	}
	return nil
}

// migrate applies pending migrations through the runtime's connection pool.
func migrate(ctx context.Context, store *models.Store, log *slog.Logger) error {
	sqlDB, err := store.DB().DB()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied, err := models.Migrate(ctx, sqlDB, log)
	if err != nil {
		return err
	}
	log.Info("database schema up to date", "applied_now", len(applied))
	return nil
}

// ignoreCanceled treats the end of the signal context as a clean exit.
func ignoreCanceled(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
