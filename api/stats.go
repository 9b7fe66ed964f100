package api

import (
	"encoding/csv"
	"net/http"
	"strconv"
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
	board, err := h.cases.Scoreboard(c.Request.Context(), h.requestCaller(c), q)
	if err != nil {
		h.fail(c, err)
		return
	}
	if strings.Contains(c.GetHeader("Accept"), "text/csv") {
		h.statsCSV(c, board.Rows)
		return
	}
	c.JSON(http.StatusOK, board)
}

// statsCSV writes the scoreboard as a table, one line per group and
// direction; an indicator measured on no request is left empty.
func (h *handlers) statsCSV(c *gin.Context, rows []cases.ScoreboardRow) {
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="openimi-scoreboard.csv"`)
	c.Status(http.StatusOK)
	w := csv.NewWriter(c.Writer)
	header := []string{"direction", "group", "requests"}
	for _, name := range []string{"accepted_within_7_days", "average_days_to_answer", "answered_by_agreed_date",
		"answered_within_a_week", "negative_timeliness_ratings", "negative_effort_ratings"} {
		header = append(header, name, name+"_band")
	}
	header = append(header, "open", "overdue", "escalated")
	_ = w.Write(header) // errors surface at Flush
	num := func(n int64) string { return strconv.FormatInt(n, 10) }
	for _, r := range rows {
		line := []string{r.Direction, r.Group, num(r.Requests)}
		for _, in := range []cases.Indicator{r.AcceptedWithin7Days, r.AverageDaysToAnswer, r.AnsweredByAgreedDate,
			r.AnsweredWithinAWeek, r.NegativeTimelinessRates, r.NegativeEffortRatings} {
			value := ""
			if in.Value != nil {
				value = strconv.FormatFloat(*in.Value, 'f', 1, 64)
			}
			line = append(line, value, string(in.Band))
		}
		line = append(line, num(r.Open), num(r.Overdue), num(r.Escalated))
		_ = w.Write(line)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		h.log.ErrorContext(c.Request.Context(), "write the scoreboard as CSV", "request_id", requestIDOf(c), "err", err)
	}
}
