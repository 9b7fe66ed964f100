// Package system wires OpenIMI's parts into a running system: configuration,
// database, Temporal client, metrics, the HTTP router and the worker. The
// openimi command and the end-to-end tests build the system the same way.
package system

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"golang.org/x/sync/errgroup"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/api"
	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/internal/config"
	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/internal/observability"
	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/internal/serve"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/web"
	"github.com/openimi/openimi/worker"
)

// LoadConfig reads the environment and builds the logger; a bad setting is
// returned as the one line the program stops with.
func LoadConfig() (config.Config, *slog.Logger, error) {
	cfg, err := config.Load(os.Environ())
	if err != nil {
		return config.Config{}, nil, err
	}
	log := observability.NewLogger(os.Stderr, cfg.LogFormat, cfg.LogLevel)
	return cfg, log, nil
}

// System is what the api and the worker share: the reference data, the
// database, the Temporal client and the metrics registry.
type System struct {
	Config   config.Config
	Log      *slog.Logger
	Catalog  *catalog.Catalog
	Metrics  *observability.Metrics
	Store    *models.Store
	Temporal client.Client
	// DevMailAPI is the API of the Mailpit `dev` started, for the pages'
	// dev mailbox; empty elsewhere.
	DevMailAPI string

	// inProcessWorker is set when this process also runs the worker (as
	// `dev` does): the API is then ready only once the worker polls.
	inProcessWorker bool
	workerPolling   atomic.Bool
}

// RunsWorkerToo makes the API's readiness wait for the worker of the same
// process.
func (sys *System) RunsWorkerToo() { sys.inProcessWorker = true }

// Open connects to the database and Temporal; the caller closes it.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*System, error) {
	// Invalid reference data is a broken build: stop before connecting to
	// anything, with the list of what is wrong.
	cat, err := LoadCatalog(log)
	if err != nil {
		return nil, err
	}
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
	// TLS, API key and headers from the TEMPORAL_* variables (config/temporal.go).
	opts, err := cfg.TemporalClientOptions()
	if err != nil {
		_ = models.Close(db)
		return nil, err
	}
	opts.Logger = sdklog.NewStructuredLogger(log.With("component", "temporal"))
	opts.MetricsHandler = metrics.Temporal
	tc, err := client.DialContext(dialCtx, opts)
	if err != nil {
		_ = models.Close(db)
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w", cfg.TemporalAddress, cfg.TemporalNamespace, err)
	}
	return &System{Config: cfg, Log: log, Catalog: cat, Metrics: metrics, Store: models.NewStore(db), Temporal: tc}, nil
}

// Close releases the connections.
func (sys *System) Close() {
	sys.Temporal.Close()
	if err := models.Close(sys.Store.DB()); err != nil {
		sys.Log.Warn("close database", "err", err)
	}
	if err := sys.Metrics.Close(); err != nil {
		sys.Log.Warn("close metrics", "err", err)
	}
}

func (sys *System) readiness() map[string]api.ReadinessCheck {
	checks := map[string]api.ReadinessCheck{
		"database": sys.Store.Ping,
		"temporal": func(ctx context.Context) error {
			_, err := sys.Temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
	}
	if sys.inProcessWorker {
		checks["worker"] = func(context.Context) error {
			if !sys.workerPolling.Load() {
				return errors.New("the worker has not started polling yet")
			}
			return nil
		}
	}
	return checks
}

// Router builds the HTTP handler: the JSON API under /api/v1 and the
// probes, the officials' pages everywhere else.
func (sys *System) Router() (http.Handler, error) {
	settings := cases.Settings{
		PublicURL:  sys.Config.PublicURL,
		TaskQueue:  sys.Config.TaskQueue,
		Day:        sys.Config.Day,
		SessionTTL: sys.Config.SessionTTL,
	}
	useCases := cases.New(cases.Deps{Log: sys.Log, Store: sys.Store, Temporal: sys.Temporal, Catalog: sys.Catalog, Settings: settings})
	apiRouter, err := api.NewRouter(api.Deps{
		Logger:    sys.Log,
		Registry:  sys.Metrics.Registry,
		Readiness: sys.readiness(),
		Store:     sys.Store,
		Temporal:  sys.Temporal,
		Catalog:   sys.Catalog,
		Settings:  settings,
		Cases:     useCases,
	})
	if err != nil {
		return nil, err
	}
	pages, err := web.NewHandler(web.Deps{
		Log: sys.Log, Cases: useCases, Catalog: sys.Catalog,
		PublicURL: sys.Config.PublicURL, SessionTTL: sys.Config.SessionTTL, DevMailAPI: sys.DevMailAPI,
	})
	if err != nil {
		return nil, err
	}
	// The JSON API and the probes keep their paths; every other path is a
	// page.
	mux := http.NewServeMux()
	for _, prefix := range []string{"/api/", "/healthz", "/readyz"} {
		mux.Handle(prefix, apiRouter)
	}
	mux.Handle("/", pages)
	return mux, nil
}

// ServeAPI runs the HTTP API until ctx ends, and beside it, on a listener
// of its own, the process's metrics and probes.
func (sys *System) ServeAPI(ctx context.Context) error {
	router, err := sys.Router()
	if err != nil {
		return err
	}
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return sys.serve(ctx, "api", sys.Config.HTTPAddr, router) })
	g.Go(func() error { return sys.serve(ctx, "api metrics", sys.Config.MetricsAddr, sys.probeRouter()) })
	return g.Wait()
}

// serve runs one HTTP server until ctx ends, then shuts it down gracefully.
func (sys *System) serve(ctx context.Context, name, addr string, h http.Handler) error {
	srv := serve.NewServer(addr, h)
	l, err := serve.Listen(ctx, name, srv)
	if err != nil {
		return err
	}
	return serve.Run(ctx, sys.Log, name, srv, l, sys.Config.ShutdownTimeout)
}

func (sys *System) probeRouter() http.Handler {
	return api.NewProbeRouter(api.Deps{Logger: sys.Log, Registry: sys.Metrics.Registry, Readiness: sys.readiness()})
}

// RunWorker polls the task queue and delivers the mail outbox until ctx
// ends, then drains: activities and mails in flight finish before it
// returns.
func (sys *System) RunWorker(ctx context.Context) error {
	mailer, sender, err := sys.newMailDispatcher()
	if err != nil {
		return err
	}
	defer sender.Close()
	w, err := sys.startWorker(ctx)
	if err != nil {
		return err
	}
	sys.Log.Info("worker polling", "task_queue", sys.Config.TaskQueue, "namespace", sys.Config.TemporalNamespace)
	sys.workerPolling.Store(true)
	defer sys.workerPolling.Store(false)
	mailDone := make(chan error, 1)
	go func() { mailDone <- mailer.Run(ctx) }()
	<-ctx.Done()
	sys.Log.Info("worker draining")
	w.Stop()
	return <-mailDone
}

// startWorker starts polling, retrying for a while: a Temporal frontend
// that is slow to answer at start (a server restarting, a loaded machine)
// is no reason for the worker to give up and be restarted from scratch.
func (sys *System) startWorker(ctx context.Context) (sdkworker.Worker, error) {
	const attempts = 5
	var err error
	for attempt := 1; attempt <= attempts; attempt++ {
		w := worker.New(sys.Temporal, sys.Config.TaskQueue, &activities.Activities{Store: sys.Store})
		if err = w.Start(); err == nil {
			return w, nil
		}
		sys.Log.Warn("worker could not start; retrying", "attempt", attempt, "err", err)
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Duration(attempt) * time.Second):
		}
	}
	return nil, fmt.Errorf("start worker on task queue %s: %w", sys.Config.TaskQueue, err)
}

// newMailDispatcher builds the outbox's dispatcher and the SMTP sender it
// delivers through; a bad SMTP_URL stops the worker at start.
func (sys *System) newMailDispatcher() (*mail.Dispatcher, *mail.SMTPSender, error) {
	smtpCfg, err := mail.ParseSMTPURL(sys.Config.SMTPURL)
	if err != nil {
		return nil, nil, fmt.Errorf("SMTP_URL: %w", err)
	}
	templates, err := mail.LoadTemplates()
	if err != nil {
		return nil, nil, err
	}
	sender := mail.NewSMTPSender(smtpCfg)
	d, err := mail.NewDispatcher(sys.Store, templates, sender, mail.DispatcherOptions{
		From:        sys.Config.MailFrom,
		PublicURL:   sys.Config.PublicURL,
		Concurrency: sender.MaxConnections(),
		Logger:      sys.Log,
		Registerer:  sys.Metrics.Registry,
	})
	if err != nil {
		sender.Close()
		return nil, nil, err
	}
	return d, sender, nil
}

// ServeWorkerProbes exposes the worker's health and metrics, for an
// orchestrator that runs the worker as its own process.
func (sys *System) ServeWorkerProbes(ctx context.Context) error {
	return sys.serve(ctx, "worker probes", sys.Config.WorkerHTTPAddr, sys.probeRouter())
}

// BootstrapHelpdesk creates the first helpdesk account when absent, so that
// a new installation has somebody who can register national coordinators.
func BootstrapHelpdesk(ctx context.Context, cfg config.Config, store *models.Store, log *slog.Logger) error {
	if cfg.BootstrapPassword == "" {
		log.Warn("OPENIMI_BOOTSTRAP_PASSWORD is not set: no helpdesk account is created", "email", cfg.BootstrapEmail)
		return nil
	}
	hash, err := password.Hash(cfg.BootstrapPassword)
	if err != nil {
		return fmt.Errorf("OPENIMI_BOOTSTRAP_PASSWORD: %w", err)
	}
	created, err := store.EnsureHelpdeskAccount(ctx, cfg.BootstrapEmail, hash)
	if err != nil {
		return err
	}
	if created {
		log.Info("helpdesk account created", "email", cfg.BootstrapEmail)
	}
	return nil
}

// LoadCatalog parses and validates the reference data built into the binary.
func LoadCatalog(log *slog.Logger) (*catalog.Catalog, error) {
	cat, err := catalog.Load()
	if err != nil {
		return nil, err
	}
	log.Debug("reference data loaded", "areas", len(cat.Areas()), "countries", len(cat.Countries()), "digest", cat.Digest())
	return cat, nil
}

// Migrate applies pending migrations through the given connection pool,
// then copies the reference data into the database, so that every release
// leaves the tables matching the files it was built with.
func Migrate(ctx context.Context, store *models.Store, cat *catalog.Catalog, log *slog.Logger) error {
	sqlDB, err := store.DB().DB()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied, err := models.Migrate(ctx, sqlDB, log)
	if err != nil {
		return err
	}
	log.Info("database schema up to date", "applied_now", len(applied))
	changes, err := store.SyncCatalog(ctx, cat)
	if err != nil {
		return err
	}
	log.Info("reference data up to date", "digest", cat.Digest(), "rows_written", changes.Written, "rows_retired", changes.Retired)
	return nil
}
