// Package observability builds the logger and the metrics registry that
// every OpenIMI process shares with its Temporal client.
package observability

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// NewLogger writes JSON unless format is "text", or "auto" on a terminal,
// where people read the lines rather than machines.
func NewLogger(w io.Writer, format string, level slog.Leveler) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	text := format == "text"
	if format == "auto" {
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			text = true
		}
	}
	if text {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Metrics is a process's Prometheus registry and the Temporal SDK's metrics
// reported into it.
type Metrics struct {
	Registry *prometheus.Registry
	Temporal client.MetricsHandler
	closer   io.Closer
}

// NewMetrics creates a registry holding the Go runtime's and the process's
// own collectors, and a Temporal metrics handler that reports into it.
func NewMetrics() (*Metrics, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, fmt.Errorf("register Go collector: %w", err)
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, fmt.Errorf("register process collector: %w", err)
	}
	if err := reg.Register(buildInfoCollector(Build())); err != nil {
		return nil, fmt.Errorf("register build info: %w", err)
	}
	reporter := tallyprom.NewReporter(tallyprom.Options{
		Registerer: reg,
		// Histograms aggregate across processes; summaries do not.
		DefaultTimerType: tallyprom.HistogramTimerType,
		OnRegisterError: func(err error) {
			slog.Default().Warn("a Temporal metric could not be registered", "err", err)
		},
	})
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &tallyprom.DefaultSanitizerOpts,
	}, time.Second)
	return &Metrics{
		Registry: reg,
		Temporal: sdktally.NewMetricsHandler(sdktally.NewPrometheusNamingScope(scope)),
		closer:   closer,
	}, nil
}

// Close flushes the Temporal metrics scope.
func (m *Metrics) Close() error { return m.closer.Close() }
