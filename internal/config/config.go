// Package config reads OpenIMI's settings from environment variables.
//
// Every setting has a safe default so that `openimi dev` runs with none set;
// a value that cannot be used stops the program with one line naming the
// variable and what is wrong with it.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"go.temporal.io/sdk/contrib/envconfig"

	"github.com/openimi/openimi/internal/password"
)

// Config holds every setting of the api, worker, migrate and dev commands.
type Config struct {
	DatabaseURL       string `env:"DATABASE_URL" envDefault:"postgres://openimi@127.0.0.1:15432/openimi?sslmode=disable"`
	TemporalAddress   string `env:"TEMPORAL_ADDRESS" envDefault:"127.0.0.1:7233"`
	TemporalNamespace string `env:"TEMPORAL_NAMESPACE" envDefault:"default"`
	TaskQueue         string `env:"TEMPORAL_TASK_QUEUE" envDefault:"openimi"`
	SMTPURL           string `env:"SMTP_URL" envDefault:"smtp://127.0.0.1:1025"`
	MailFrom          string `env:"MAIL_FROM" envDefault:"OpenIMI <no-reply@openimi.localhost>"`
	HTTPAddr          string `env:"HTTP_ADDR" envDefault:":8080"`
	WorkerHTTPAddr    string `env:"WORKER_HTTP_ADDR" envDefault:":8081"`
	// MetricsAddr is the API process's own listener for /metrics (with
	// /healthz and /readyz), apart from the port the world reaches, so
	// that the metrics' routes, counts and timings are not published.
	MetricsAddr string `env:"METRICS_ADDR" envDefault:":9090"`
	PublicURL   string `env:"PUBLIC_URL" envDefault:"http://localhost:8080"`

	// Day is the length of one day in all deadline arithmetic. Demos and
	// end-to-end tests shorten it so that a 7-day deadline passes in seconds.
	Day time.Duration `env:"OPENIMI_DAY" envDefault:"24h"`

	// SessionTTL is how long a bearer token from a login lasts.
	SessionTTL time.Duration `env:"OPENIMI_SESSION_TTL" envDefault:"12h"`

	BootstrapEmail    string `env:"OPENIMI_BOOTSTRAP_EMAIL" envDefault:"helpdesk@openimi.localhost"`
	BootstrapPassword string `env:"OPENIMI_BOOTSTRAP_PASSWORD"`

	LogLevel        slog.Level    `env:"LOG_LEVEL" envDefault:"info"`
	LogFormat       string        `env:"LOG_FORMAT" envDefault:"auto"`
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"20s"`

	// DataDir keeps the embedded stack of `openimi dev` between runs.
	DataDir         string `env:"OPENIMI_DATA_DIR" envDefault:".data"`
	ToolsDir        string `env:"OPENIMI_TOOLS_DIR" envDefault:"bin"`
	DevPostgresPort int    `env:"OPENIMI_DEV_PG_PORT" envDefault:"15432"`
	DevTemporalPort int    `env:"OPENIMI_DEV_TEMPORAL_PORT" envDefault:"7233"`
	DevTemporalUI   int    `env:"OPENIMI_DEV_TEMPORAL_UI_PORT" envDefault:"8233"`
	DevMailSMTPPort int    `env:"OPENIMI_DEV_SMTP_PORT" envDefault:"1025"`
	DevMailHTTPPort int    `env:"OPENIMI_DEV_MAILPIT_PORT" envDefault:"8025"`

	// given records the variables the operator set, as opposed to defaults.
	given map[string]bool
	// temporalProfile holds the TLS, API key and headers of the Temporal
	// connection (temporal.go).
	temporalProfile envconfig.ClientConfigProfile
}

// Load reads the configuration from the given environment (os.Environ's
// key=value form) and validates it.
func Load(environ []string) (Config, error) {
	vars := env.ToMap(environ)
	cfg := Config{given: make(map[string]bool)}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: vars}); err != nil {
		return Config{}, fmt.Errorf("config: %w", unwrapAggregate(err))
	}
	for name, value := range vars {
		if value != "" {
			cfg.given[name] = true
		}
	}
	if err := cfg.loadTemporalProfile(vars); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	if err := cfg.validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return cfg, nil
}

// Given reports whether the operator set the variable, as opposed to the
// default being used: `openimi dev` starts an embedded component only for
// what the operator did not point elsewhere.
func (c Config) Given(name string) bool { return c.given[name] }

func (c Config) validate() error {
	var errs []error
	check := func(name string, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
		}
	}
	check("DATABASE_URL", validURL(c.DatabaseURL, "postgres", "postgresql"))
	check("TEMPORAL_ADDRESS", validHostPort(c.TemporalAddress))
	if c.TemporalNamespace == "" {
		check("TEMPORAL_NAMESPACE", errors.New("must not be empty"))
	}
	if c.TaskQueue == "" {
		check("TEMPORAL_TASK_QUEUE", errors.New("must not be empty"))
	}
	check("SMTP_URL", validURL(c.SMTPURL, "smtp", "smtps"))
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		check("MAIL_FROM", fmt.Errorf("not an email address: %w", err))
	}
	check("HTTP_ADDR", validHostPort(c.HTTPAddr))
	check("WORKER_HTTP_ADDR", validHostPort(c.WorkerHTTPAddr))
	check("METRICS_ADDR", validHostPort(c.MetricsAddr))
	check("PUBLIC_URL", validURL(c.PublicURL, "http", "https"))
	if c.Day <= 0 {
		check("OPENIMI_DAY", errors.New("must be a positive duration such as 24h or 2s"))
	}
	if c.SessionTTL < time.Minute {
		check("OPENIMI_SESSION_TTL", errors.New("must be at least 1m"))
	}
	if _, err := mail.ParseAddress(c.BootstrapEmail); err != nil {
		check("OPENIMI_BOOTSTRAP_EMAIL", fmt.Errorf("not an email address: %w", err))
	}
	if c.BootstrapPassword != "" && password.Check(c.BootstrapPassword) != nil {
		check("OPENIMI_BOOTSTRAP_PASSWORD", password.ErrWeak)
	}
	switch c.LogFormat {
	case "auto", "json", "text":
	default:
		check("LOG_FORMAT", fmt.Errorf("%q is not one of auto, json, text", c.LogFormat))
	}
	if c.ShutdownTimeout <= 0 {
		check("SHUTDOWN_TIMEOUT", errors.New("must be a positive duration"))
	}
	ports := []struct {
		name string
		port int
	}{
		{"OPENIMI_DEV_PG_PORT", c.DevPostgresPort},
		{"OPENIMI_DEV_TEMPORAL_PORT", c.DevTemporalPort},
		{"OPENIMI_DEV_TEMPORAL_UI_PORT", c.DevTemporalUI},
		{"OPENIMI_DEV_SMTP_PORT", c.DevMailSMTPPort},
		{"OPENIMI_DEV_MAILPIT_PORT", c.DevMailHTTPPort},
	}
	for _, p := range ports {
		if p.port < 1 || p.port > 65535 {
			check(p.name, fmt.Errorf("%d is not a TCP port", p.port))
		}
	}
	return errors.Join(errs...)
}

func validURL(raw string, schemes ...string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("not a URL: %w", err)
	}
	for _, s := range schemes {
		if u.Scheme == s {
			if u.Host == "" {
				return fmt.Errorf("%q has no host", RedactURL(raw))
			}
			return nil
		}
	}
	return fmt.Errorf("%q must start with %s://", RedactURL(raw), strings.Join(schemes, ":// or "))
}

func validHostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %w", addr, err)
	}
	if port == "" {
		return fmt.Errorf("%q has no port", addr)
	}
	return nil
}

// unwrapAggregate turns the env library's aggregate error into a single
// line; its default rendering is long and repeats the struct field names.
func unwrapAggregate(err error) error {
	var agg env.AggregateError
	if !errors.As(err, &agg) {
		return err
	}
	var lines []string
	for _, e := range agg.Errors {
		var parseErr env.ParseError
		if errors.As(e, &parseErr) {
			lines = append(lines, fmt.Sprintf("%s: %v", envName(parseErr.Name), parseErr.Err))
			continue
		}
		lines = append(lines, e.Error())
	}
	return errors.New(strings.Join(lines, "; "))
}

// envName maps a Config field name to the variable that sets it.
func envName(field string) string {
	f, ok := reflect.TypeFor[Config]().FieldByName(field)
	if !ok {
		return field
	}
	return f.Tag.Get("env")
}

// Setting is one configuration variable as printed at start.
type Setting struct {
	Name  string
	Value string
}

// Settings lists every variable with its effective value, secrets masked,
// in declaration order so that the start-up line reads the same each time.
func (c Config) Settings() []Setting {
	v := reflect.ValueOf(c)
	t := v.Type()
	var out []Setting
	for i := range t.NumField() {
		name := t.Field(i).Tag.Get("env")
		if name == "" || name == "-" {
			continue
		}
		value := fmt.Sprint(v.Field(i).Interface())
		switch {
		case strings.Contains(name, "PASSWORD"):
			value = maskSecret(value)
		case strings.HasSuffix(name, "_URL"):
			value = RedactURL(value)
		}
		out = append(out, Setting{Name: name, Value: value})
	}
	return out
}

// LogValue lets `slog` print the configuration as one group.
func (c Config) LogValue() slog.Value {
	settings := c.Settings()
	attrs := make([]slog.Attr, 0, len(settings))
	for _, s := range settings {
		attrs = append(attrs, slog.String(s.Name, s.Value))
	}
	return slog.GroupValue(attrs...)
}

func maskSecret(s string) string {
	if s == "" {
		return "(not set)"
	}
	return "********"
}

// RedactURL hides the password of a URL that carries credentials.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparseable)"
	}
	return u.Redacted()
}
