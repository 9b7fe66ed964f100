package api

import (
	"encoding/csv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

// Band is an indicator's colour on the Commission's scoreboard.
type Band string

// The bands; an indicator measured on no request has none.
const (
	Green  Band = "green"
	Yellow Band = "yellow"
	Red    Band = "red"
)

// The thresholds of SPEC §6 and issue 6. The agreed-date share has only
// its green threshold in the specification; it takes the acceptance
// share's yellow one, the same kind of measure.
const (
	shareGreenAtLeast  = 80.0
	shareYellowAtLeast = 60.0
	daysGreenBelow     = 16.0
	daysYellowAtMost   = 25.0
	negativeGreenBelow = 5.0
	negativeYellowLess = 15.0
)

func shareBand(percent float64) Band {
	switch {
	case percent >= shareGreenAtLeast:
		return Green
	case percent >= shareYellowAtLeast:
		return Yellow
	}
	return Red
}

func answerDaysBand(days float64) Band {
	switch {
	case days < daysGreenBelow:
		return Green
	case days <= daysYellowAtMost:
		return Yellow
	}
	return Red
}

func negativeBand(percent float64) Band {
	switch {
	case percent < negativeGreenBelow:
		return Green
	case percent < negativeYellowLess:
		return Yellow
	}
	return Red
}

// indicator is one figure of the scoreboard: a share in percent (count of
// of) or a mean in days (over count requests), and its band.
type indicator struct {
	Value *float64 `json:"value"`
	Band  Band     `json:"band,omitempty"`
	Count int64    `json:"count"`
	Of    int64    `json:"of,omitempty"`
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// share is count of of in percent; band may be nil for a share the
// specification sets no thresholds for.
func share(count, of int64, band func(float64) Band) indicator {
	in := indicator{Count: count, Of: of}
	if of == 0 {
		return in
	}
	p := 100 * float64(count) / float64(of)
	v := round1(p)
	in.Value = &v
	if band != nil {
		in.Band = band(p)
	}
	return in
}

type statsRow struct {
	Direction               string    `json:"direction"`
	Group                   string    `json:"group"`
	Requests                int64     `json:"requests"`
	AcceptedWithin7Days     indicator `json:"accepted_within_7_days"`
	AverageDaysToAnswer     indicator `json:"average_days_to_answer"`
	AnsweredByAgreedDate    indicator `json:"answered_by_agreed_date"`
	AnsweredWithinAWeek     indicator `json:"answered_within_a_week"`
	NegativeTimelinessRates indicator `json:"negative_timeliness_ratings"`
	NegativeEffortRatings   indicator `json:"negative_effort_ratings"`
	Open                    int64     `json:"open"`
	Overdue                 int64     `json:"overdue"`
	Escalated               int64     `json:"escalated"`
}

func statsRowOf(r models.StatsRow) statsRow {
	avg := indicator{Count: r.Answered}
	if r.AvgAnswerDays != nil {
		v := round1(*r.AvgAnswerDays)
		avg.Value, avg.Band = &v, answerDaysBand(*r.AvgAnswerDays)
	}
	return statsRow{
		Direction: r.Direction, Group: r.Group, Requests: r.Requests,
		AcceptedWithin7Days:     share(r.AcceptedInWeek, r.AcceptanceDecided, shareBand),
		AverageDaysToAnswer:     avg,
		AnsweredByAgreedDate:    share(r.AnsweredByAgreedDate, r.AgreedDateDecided, shareBand),
		AnsweredWithinAWeek:     share(r.AnsweredInWeek, r.WeekDecided, nil),
		NegativeTimelinessRates: share(r.NegativeTimeliness, r.RatedTimeliness, negativeBand),
		NegativeEffortRatings:   share(r.NegativeEffort, r.RatedEffort, negativeBand),
		Open:                    r.Open, Overdue: r.Overdue, Escalated: r.Escalated,
	}
}

type statsQuery struct {
	Country string `form:"country" binding:"omitempty,len=2,uppercase"`
	Area    string `form:"area" binding:"max=60"`
	From    string `form:"from" binding:"omitempty,datetime=2006-01-02"`
	To      string `form:"to" binding:"omitempty,datetime=2006-01-02"`
	GroupBy string `form:"group_by" binding:"omitempty,oneof=country area authority"`
}

// stats serves the Commission's scoreboard for the requests sent in a
// period (from and to inclusive, calendar days in UTC): the helpdesk for
// any country or all, a national coordinator for its own.
func (h *handlers) stats(c *gin.Context) {
	var q statsQuery
	if !h.bindQuery(c, &q) {
		return
	}
	p := principal(c)
	switch {
	case p.Helpdesk:
	case p.Body != nil && p.IsNationalCoordinator(p.Body.Country):
		if q.Country == "" {
			q.Country = p.Body.Country
		}
		if q.Country != p.Body.Country {
			deny(c, policy.Forbidden, "the statistics of another country")
			return
		}
	default:
		deny(c, policy.Forbidden, "the statistics")
		return
	}
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	to := today
	if q.To != "" {
		to, _ = time.Parse(dateLayout, q.To)
	}
	// Without a start, the period is the year of its end so far.
	from := time.Date(to.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	if q.From != "" {
		from, _ = time.Parse(dateLayout, q.From)
	}
	if from.After(to) {
		fieldErrors(c, []FieldError{{Field: "from", Rule: "not_after_to", Param: to.Format(dateLayout)}})
		return
	}
	if q.GroupBy == "" {
		q.GroupBy = string(models.ByCountry)
	}
	end := to.AddDate(0, 0, 1)
	// Figures are taken at the period's end, or now while it lasts.
	asOf := end
	if now.Before(end) {
		asOf = now
	}
	rows, err := h.store.Stats(c.Request.Context(), models.StatsQuery{
		From: from, To: end, AsOf: asOf, Day: h.settings.Day,
		Country: q.Country, Area: q.Area, GroupBy: models.StatsGroup(q.GroupBy),
	})
	if err != nil {
		h.internalError(c, err)
		return
	}
	out := make([]statsRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, statsRowOf(r))
	}
	if strings.Contains(c.GetHeader("Accept"), "text/csv") {
		h.statsCSV(c, out)
		return
	}
	c.JSON(http.StatusOK, gin.H{
		"from": from.Format(dateLayout), "to": to.Format(dateLayout), "as_of": asOf, "country": q.Country, "area": q.Area,
		"group_by": q.GroupBy, "day_seconds": h.settings.Day.Seconds(), "rows": out,
	})
}

// statsCSV writes the scoreboard as a table, one line per group and
// direction; an indicator measured on no request is left empty.
func (h *handlers) statsCSV(c *gin.Context, rows []statsRow) {
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
		for _, in := range []indicator{r.AcceptedWithin7Days, r.AverageDaysToAnswer, r.AnsweredByAgreedDate,
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
