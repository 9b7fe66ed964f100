package api

import (
	"fmt"
	"log/slog"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/openimi/openimi/internal/catalog"
)

// maxBodyBytes bounds JSON bodies; attachments get their own limit.
const maxBodyBytes = 1 << 20

// Deps is what the handlers need.
type Deps struct {
	Logger    *slog.Logger
	Registry  *prometheus.Registry
	Readiness map[string]ReadinessCheck
	// Catalog is the reference data served from memory. When nil, the
	// router loads the data built into the binary, so that tests and
	// callers with no reason to choose need not.
	Catalog *catalog.Catalog
}

// NewRouter builds the HTTP handler of the API process.
func NewRouter(deps Deps) (*gin.Engine, error) {
	metrics, err := newHTTPMetrics(deps.Registry)
	if err != nil {
		return nil, fmt.Errorf("register HTTP metrics: %w", err)
	}
	cat := deps.Catalog
	if cat == nil {
		if cat, err = catalog.Load(); err != nil {
			return nil, err
		}
	}
	r := newEngine()
	r.Use(requestID(), accessLog(deps.Logger), metrics.middleware(), gin.CustomRecoveryWithWriter(slogWriter{deps.Logger}, recovered), limitBody(maxBodyBytes))

	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(deps.Readiness))
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(deps.Registry, promhttp.HandlerOpts{Registry: deps.Registry})))

	v1 := r.Group("/api/v1")
	v1.GET("/openapi.json", openAPIDocument)
	referenceHandlers{catalog: cat}.register(v1)
	return r, nil
}

// NewProbeRouter serves what a worker process exposes: liveness,
// readiness and metrics.
func NewProbeRouter(deps Deps) *gin.Engine {
	r := newEngine()
	r.Use(requestID(), gin.CustomRecoveryWithWriter(slogWriter{deps.Logger}, recovered))
	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(deps.Readiness))
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(deps.Registry, promhttp.HandlerOpts{Registry: deps.Registry})))
	return r
}

func newEngine() *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Behind a proxy the operator sets the trusted ones; by default the
	// socket's peer is the client, so X-Forwarded-For cannot be forged.
	_ = r.SetTrustedProxies(nil) // an empty list cannot be invalid
	r.NoRoute(notFound)
	r.NoMethod(methodNotAllowed)
	return r
}

// slogWriter sends the panic reports of Gin's recovery to the log.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(b []byte) (int, error) {
	w.log.Error("panic while serving a request", "report", string(b))
	return len(b), nil
}
