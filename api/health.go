package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// ReadinessCheck reports whether one dependency can serve requests now.
type ReadinessCheck func(ctx context.Context) error

func healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "up"})
}

// readyz runs every check with a short deadline: a load balancer must learn
// quickly that this process cannot serve, not wait on a hung dependency.
func readyz(checks map[string]ReadinessCheck) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
		defer cancel()
		results := make(map[string]string, len(checks))
		ready := true
		for name, check := range checks {
			if err := check(ctx); err != nil {
				results[name] = err.Error()
				ready = false
				continue
			}
			results[name] = "ok"
		}
		if !ready {
			abortWithError(c, http.StatusServiceUnavailable, "not_ready", "a dependency is unreachable", results)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": results})
	}
}
