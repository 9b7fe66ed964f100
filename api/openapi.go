package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

//go:embed openapi.json
var openAPIJSON []byte

// OpenAPIDocument is the API's contract, as served.
func OpenAPIDocument() []byte { return openAPIJSON }

func openAPIDocument(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIJSON)
}
