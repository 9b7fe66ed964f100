package api

import (
	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/internal/policy"
)

// language is the language the caller reads: ?lang=, else the
// Accept-Language header, else the signed-in official's own, else English.
func (h *handlers) language(c *gin.Context) string {
	explicit, header := c.Query("lang"), c.GetHeader("Accept-Language")
	if explicit == "" && header == "" {
		if v, ok := c.Get(principalKey); ok {
			if p, ok := v.(policy.Principal); ok && h.ref.HasLanguage(p.Language) {
				return p.Language
			}
		}
	}
	lang, err := h.ref.cat.Negotiate(explicit, header)
	if err != nil {
		return catalog.English
	}
	return lang
}
