package api

import (
	"encoding/csv"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
)

// auditExport serves a request's timeline and access log with their chain
// hashes, as JSON or (format=csv) as a table, for the data protection
// officer.
func (h *handlers) auditExport(c *gin.Context) {
	var in cases.AuditExportInput
	if !bindCaseQuery(c, &in) {
		return
	}
	in.ID = c.Param("id")
	export, err := h.cases.ExportAuditTrail(c.Request.Context(), h.caller(c), in)
	if err != nil {
		h.fail(c, err)
		return
	}
	name := "openimi-audit-" + export.Reference
	if export.Format != "csv" {
		c.Header("Content-Disposition", `attachment; filename="`+name+`.json"`)
		c.JSON(http.StatusOK, export)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.WriteAll(export.CSVRecords()) // errors surface in w.Error
	if err := w.Error(); err != nil {
		h.log.ErrorContext(c.Request.Context(), "write the audit export as CSV", "request_id", requestIDOf(c), "err", err)
	}
}
