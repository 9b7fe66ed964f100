package api

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.temporal.io/sdk/client"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/models"
)

// maxBodyBytes bounds JSON bodies; attachments get their own limit.
const maxBodyBytes = 1 << 20

// Settings are the parts of the configuration the handlers use: the use
// cases' own.
type Settings = cases.Settings

// Deps is what the handlers need.
type Deps struct {
	Logger    *slog.Logger
	Registry  *prometheus.Registry
	Readiness map[string]ReadinessCheck
	Store     *models.Store
	Temporal  client.Client
	// Catalog is the reference data served from memory. When nil, the
	// router loads the data built into the binary, so that tests and
	// callers with no reason to choose need not.
	Catalog  *catalog.Catalog
	Settings Settings
	// Cases runs the use cases the handlers adapt; the pages share it.
	Cases *cases.Service
}

// handlers holds the dependencies every handler shares.
type handlers struct {
	log      *slog.Logger
	store    *models.Store
	temporal client.Client
	ref      referenceData
	settings Settings
	cases    *cases.Service
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
	h := &handlers{log: deps.Logger, store: deps.Store, temporal: deps.Temporal, ref: referenceData{cat}, settings: deps.Settings, cases: deps.Cases}
	r := newEngine()
	r.Use(requestID(), securityHeaders(), accessLog(deps.Logger), metrics.middleware(), gin.CustomRecoveryWithWriter(slogWriter{deps.Logger}, recovered), limitBody(maxBodyBytes, map[string]int64{
		// The file and its multipart framing.
		"/api/v1/requests/:id/attachments": maxAttachmentBytes + 64<<10,
	}))

	r.GET("/healthz", healthz)
	r.GET("/readyz", readyz(deps.Readiness))
	// No /metrics here: the probe router serves it on a listener of its
	// own (METRICS_ADDR), which the world does not reach.

	v1 := r.Group("/api/v1")
	v1.GET("/openapi.json", openAPIDocument)
	referenceHandlers{catalog: cat}.register(v1)
	v1.POST("/auth/login", h.login)
	v1.POST("/auth/activate", h.activate)
	v1.POST("/auth/password-reset/request", h.requestPasswordReset)
	v1.POST("/auth/password-reset", h.resetPassword)
	v1.POST("/registrations", h.register)

	signedIn := v1.Group("", h.authenticate)
	signedIn.POST("/auth/logout", h.logout)
	signedIn.GET("/me", h.me)
	signedIn.PATCH("/me", h.updateMe)
	signedIn.POST("/coordinators", h.createCoordinator)
	signedIn.POST("/invitations", h.invite)
	signedIn.GET("/registrations", h.listRegistrations)
	signedIn.GET("/registrations/:id", h.getRegistration)
	signedIn.POST("/registrations/:id/approve", h.approveRegistration)
	signedIn.POST("/registrations/:id/reject", h.rejectRegistration)
	signedIn.GET("/authorities", h.searchAuthorities)
	signedIn.POST("/authorities", h.registerAuthority)
	signedIn.GET("/authorities/:id", h.getAuthority)
	signedIn.GET("/authorities/:id/users", h.listUsers)
	signedIn.POST("/authorities/:id/users", h.createUser)
	signedIn.PATCH("/authorities/:id/users/:user_id", h.updateUser)
	signedIn.GET("/notifications", h.failedNotifications)
	h.registerRequestRoutes(signedIn)
	return r, nil
}

// NewProbeRouter serves what an orchestrator and a metrics scraper read of
// a process: liveness, readiness and metrics. The worker serves it on
// WORKER_HTTP_ADDR, the API on METRICS_ADDR.
func NewProbeRouter(deps Deps) *gin.Engine {
	r := newEngine()
	r.Use(requestID(), securityHeaders(), gin.CustomRecoveryWithWriter(slogWriter{deps.Logger}, recovered))
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

// internalError logs err with the request id and answers 500 without
// details: the caller quotes the id, the operator finds the cause.
func (h *handlers) internalError(c *gin.Context, err error) {
	h.log.ErrorContext(c.Request.Context(), "request failed", "request_id", requestIDOf(c), "route", routeOf(c), "err", err)
	_ = c.Error(err)
	abortWithError(c, http.StatusInternalServerError, "internal", "an unexpected error occurred; quote the request id to the helpdesk",
		gin.H{"request_id": requestIDOf(c)})
}

// slogWriter sends the panic reports of Gin's recovery to the log.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(b []byte) (int, error) {
	w.log.Error("panic while serving a request", "report", string(b))
	return len(b), nil
}
