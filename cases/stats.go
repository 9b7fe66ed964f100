package cases

import (
	"context"
	"math"
	"time"

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

// Indicator is one figure of the scoreboard: a share in percent (count of
// of) or a mean in days (over count requests), and its band.
type Indicator struct {
	Value *float64 `json:"value"`
	Band  Band     `json:"band,omitempty"`
	Count int64    `json:"count"`
	Of    int64    `json:"of,omitempty"`
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// share is count of of in percent; band may be nil for a share the
// specification sets no thresholds for.
func share(count, of int64, band func(float64) Band) Indicator {
	in := Indicator{Count: count, Of: of}
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

type ScoreboardRow struct {
	Direction               string    `json:"direction"`
	Group                   string    `json:"group"`
	Requests                int64     `json:"requests"`
	AcceptedWithin7Days     Indicator `json:"accepted_within_7_days"`
	AverageDaysToAnswer     Indicator `json:"average_days_to_answer"`
	AnsweredByAgreedDate    Indicator `json:"answered_by_agreed_date"`
	AnsweredWithinAWeek     Indicator `json:"answered_within_a_week"`
	NegativeTimelinessRates Indicator `json:"negative_timeliness_ratings"`
	NegativeEffortRatings   Indicator `json:"negative_effort_ratings"`
	Open                    int64     `json:"open"`
	Overdue                 int64     `json:"overdue"`
	Escalated               int64     `json:"escalated"`
}

func scoreboardRowOf(r models.StatsRow) ScoreboardRow {
	avg := Indicator{Count: r.Answered}
	if r.AvgAnswerDays != nil {
		v := round1(*r.AvgAnswerDays)
		avg.Value, avg.Band = &v, answerDaysBand(*r.AvgAnswerDays)
	}
	return ScoreboardRow{
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

// ScoreboardInput selects the scoreboard's period, country, area and
// grouping.
type ScoreboardInput struct {
	Country string `form:"country" binding:"omitempty,len=2,uppercase"`
	Area    string `form:"area" binding:"max=60"`
	From    string `form:"from" binding:"omitempty,datetime=2006-01-02"`
	To      string `form:"to" binding:"omitempty,datetime=2006-01-02"`
	GroupBy string `form:"group_by" binding:"omitempty,oneof=country area authority"`
}

// Scoreboard is the Commission's scoreboard of a period.
type Scoreboard struct {
	From       string          `json:"from"`
	To         string          `json:"to"`
	AsOf       time.Time       `json:"as_of"`
	Country    string          `json:"country"`
	Area       string          `json:"area"`
	GroupBy    string          `json:"group_by"`
	DaySeconds float64         `json:"day_seconds"`
	Rows       []ScoreboardRow `json:"rows"`
}

// Scoreboard computes the Commission's scoreboard for the requests sent in
// a period (from and to inclusive, calendar days in UTC): the helpdesk for
// any country or all, a national coordinator for its own.
func (s *Service) Scoreboard(ctx context.Context, caller Caller, in ScoreboardInput) (Scoreboard, error) {
	if err := s.validate.Check(in); err != nil {
		return Scoreboard{}, err
	}
	p := caller.Principal
	switch {
	case p.Helpdesk:
	case p.Body != nil && p.IsNationalCoordinator(p.Body.Country):
		if in.Country == "" {
			in.Country = p.Body.Country
		}
		if in.Country != p.Body.Country {
			return Scoreboard{}, ForbiddenError("the statistics of another country")
		}
	default:
		return Scoreboard{}, ForbiddenError("the statistics")
	}
	now := time.Now().UTC()
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	to := today
	if in.To != "" {
		to, _ = time.Parse(dateLayout, in.To)
	}
	// Without a start, the period is the year of its end so far.
	from := time.Date(to.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
	if in.From != "" {
		from, _ = time.Parse(dateLayout, in.From)
	}
	if from.After(to) {
		return Scoreboard{}, InvalidFields(FieldError{Field: "from", Rule: "not_after_to", Param: to.Format(dateLayout)})
	}
	if in.GroupBy == "" {
		in.GroupBy = string(models.ByCountry)
	}
	end := to.AddDate(0, 0, 1)
	// Figures are taken at the period's end, or now while it lasts.
	asOf := end
	if now.Before(end) {
		asOf = now
	}
	rows, err := s.store.Stats(ctx, models.StatsQuery{
		From: from, To: end, AsOf: asOf, Day: s.settings.Day,
		Country: in.Country, Area: in.Area, GroupBy: models.StatsGroup(in.GroupBy),
	})
	if err != nil {
		return Scoreboard{}, err
	}
	out := make([]ScoreboardRow, 0, len(rows))
	for _, r := range rows {
		out = append(out, scoreboardRowOf(r))
	}
	return Scoreboard{From: from.Format(dateLayout), To: to.Format(dateLayout), AsOf: asOf, Country: in.Country, Area: in.Area,
		GroupBy: in.GroupBy, DaySeconds: s.settings.Day.Seconds(), Rows: out}, nil
}
