package api

import (
	"encoding/csv"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
)

// stats serves the Commission's scoreboard: JSON, or with Accept:
// text/csv the same rows as a table.
func (h *handlers) stats(c *gin.Context) {
	var q cases.ScoreboardInput
	if !bindCaseQuery(c, &q) {
		return
	}
	board, err := h.cases.Scoreboard(c.Request.Context(), h.caller(c), q)
	if err != nil {
		h.fail(c, err)
		return
	}
	if strings.Contains(c.GetHeader("Accept"), "text/csv") {
		h.statsCSV(c, board)
		return
	}
	c.JSON(http.StatusOK, board)
}

// statsCSV writes the scoreboard as a table (cases.Scoreboard.CSVRecords).
func (h *handlers) statsCSV(c *gin.Context, board cases.Scoreboard) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="openimi-scoreboard.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	_ = w.WriteAll(board.CSVRecords()) // errors surface in w.Error
	if err := w.Error(); err != nil {
		h.log.ErrorContext(c.Request.Context(), "write the scoreboard as CSV", "request_id", requestIDOf(c), "err", err)
	}
}
