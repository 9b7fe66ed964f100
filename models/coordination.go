package models

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// DeskFilter names a tray of the coordinators' desk.
type DeskFilter string

// The trays of the desk; the empty filter shows them all.
const (
	DeskEscalated          DeskFilter = "escalated"
	DeskOverdue            DeskFilter = "overdue"
	DeskReferred           DeskFilter = "referred"
	DeskAwaitingAcceptance DeskFilter = "awaiting-acceptance"
)

// deskConditions say what puts an open request in each tray.
var deskConditions = map[DeskFilter]string{
	// Escalated, and no coordinator has stepped in since: a request
	// handled stays in the other trays while it waits, and comes back here
	// when it is escalated again.
	DeskEscalated: `r.escalated_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM request_events e
		WHERE e.request_id = r.id AND e.at >= r.escalated_at AND e.kind IN ` + interventionKinds + `)`,
	// Overdue as OverdueCondition defines it, for the desk, the boxes, the
	// request's view and the scoreboard alike.
	DeskOverdue:            OverdueCondition("r."),
	DeskReferred:           "r.state = 'REFERRED'",
	DeskAwaitingAcceptance: "r.state = 'AWAITING_ACCEPTANCE'",
}

// interventionKinds are the timeline's kinds of a coordinator's
// intervention (workflows.Interventions).
const interventionKinds = "('coordinator-forward', 'coordinator-accept', 'chase', 'coordinator-note', 'return', 'coordinator-close')"

// OverdueCondition is the SQL of SPEC §3's overdue, judged at @asof with
// days of @day seconds, for the requests table under the given alias
// prefix ("r." or ""): the request was sent and is still open, its
// responder has not answered yet, and the day after its agreed reply date
// (the needed-by date, or the date proposed and agreed) has begun. A
// request not yet accepted is overdue by the same date: its requester
// waits for the answer all the same. Request.OverdueAt is the same rule
// in Go; the desk, the boxes, the request's view and the scoreboard all
// use one or the other.
func OverdueCondition(alias string) string {
	// A draft has no sending or due date: false, not NULL, so that NOT
	// works too.
	return fmt.Sprintf(`coalesce(%[1]ssent_at < @asof AND (%[1]sclosed_at IS NULL OR %[1]sclosed_at >= @asof)
		AND (%[1]sanswered_at IS NULL OR %[1]sanswered_at >= @asof)
		AND %[1]sreply_due + make_interval(secs => CAST(@day AS float8)) <= @asof, false)`, alias)
}

// OverdueAt tells whether the request is overdue at asOf, with days of
// day (OverdueCondition's rule).
func (r Request) OverdueAt(asOf time.Time, day time.Duration) bool {
	before := func(t *time.Time) bool { return t != nil && t.Before(asOf) }
	return before(r.SentAt) && !before(r.ClosedAt) && !before(r.AnsweredAt) &&
		r.ReplyDue != nil && !r.ReplyDue.Add(day).After(asOf)
}

// openStates are the states in which a request waits for somebody.
const openStates = "('AWAITING_ACCEPTANCE', 'ACCEPTED', 'ANSWERED', 'CLARIFICATION_REQUESTED', 'REFERRED')"

// CoordinatorScope is the reach of a coordinator: a country, narrowed for
// a delegated coordinator to a region and/or a legislative area.
type CoordinatorScope struct {
	Country string
	Region  string
	Area    string
}

// DeskQuery selects a page of a coordinator's desk.
type DeskQuery struct {
	Scope  CoordinatorScope
	Filter DeskFilter
	// AsOf and Day are the moment and the day length overdue is judged by.
	AsOf     time.Time
	Day      time.Duration
	Page     int
	PageSize int
}

// DeskItem is a request on the desk, with the countries of its two
// authorities and which of them the coordinator's scope covers.
type DeskItem struct {
	Request               `gorm:"embedded"`
	RequestingCountry     string
	RespondingCountry     string
	CoordinatesRequesting bool
	CoordinatesResponding bool
	// The trays the request is in: why it is on the desk.
	InEscalated, InOverdue, InReferred, InAwaitingAcceptance bool
}

// CoordinationDesk lists the open requests within a coordinator's scope
// (either authority in it) that wait in the filter's tray, or in any tray,
// newest escalation first, then the longest waiting.
func (s *Store) CoordinationDesk(ctx context.Context, q DeskQuery) ([]DeskItem, int64, error) {
	var trays []string
	if q.Filter != "" {
		cond, ok := deskConditions[q.Filter]
		if !ok {
			return nil, 0, fmt.Errorf("desk filter %q: %w", q.Filter, ErrConflict)
		}
		trays = []string{cond}
	} else {
		for _, f := range []DeskFilter{DeskEscalated, DeskOverdue, DeskReferred, DeskAwaitingAcceptance} {
			trays = append(trays, deskConditions[f])
		}
	}
	// An authority is in scope when it is of the coordinator's country and
	// region (if any); an area-scoped coordinator reaches the requests of
	// its area only, as coordinatesRequest decides for single requests.
	inScope := func(alias string) string {
		return fmt.Sprintf("(%[1]s.country_code = @country AND (@region = '' OR %[1]s.region = @region))", alias)
	}
	from := `FROM requests r
		JOIN authorities ra ON ra.id = r.requesting_authority
		JOIN authorities sa ON sa.id = r.responding_authority
		WHERE r.state IN ` + openStates + `
		AND (` + inScope("ra") + ` OR ` + inScope("sa") + `)
		AND (@area = '' OR r.area_code = @area)
		AND (` + strings.Join(trays, " OR ") + `)`
	args := map[string]any{"country": q.Scope.Country, "region": q.Scope.Region, "area": q.Scope.Area,
		"asof": q.AsOf, "day": q.Day.Seconds(),
		"limit": q.PageSize, "offset": (q.Page - 1) * q.PageSize}
	db := s.db.WithContext(ctx)
	var total int64
	if err := db.Raw("SELECT count(*) "+from, args).Scan(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count the desk: %w", err)
	}
	var items []DeskItem
	err := db.Raw(`SELECT r.*, ra.country_code AS requesting_country, sa.country_code AS responding_country,
		`+inScope("ra")+` AS coordinates_requesting, `+inScope("sa")+` AS coordinates_responding,
		`+deskConditions[DeskEscalated]+` AS in_escalated, `+deskConditions[DeskOverdue]+` AS in_overdue,
		`+deskConditions[DeskReferred]+` AS in_referred, `+deskConditions[DeskAwaitingAcceptance]+` AS in_awaiting_acceptance `+from+`
		ORDER BY r.escalated_at DESC NULLS LAST, r.sent_at, r.id LIMIT @limit OFFSET @offset`, args).Scan(&items).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list the desk: %w", err)
	}
	return items, total, nil
}

// StatsGroup is what the scoreboard's rows are per.
type StatsGroup string

// The groupings of the scoreboard.
const (
	ByCountry   StatsGroup = "country"
	ByArea      StatsGroup = "area"
	ByAuthority StatsGroup = "authority"
)

// StatsQuery selects the requests sent in [From, To) and says at which
// moment (AsOf, normally the earlier of To and now) the indicators are
// taken, and how long a day is.
type StatsQuery struct {
	From, To, AsOf time.Time
	Day            time.Duration
	// Country keeps the requests sent by (for the sent rows) or to (for
	// the received rows) an authority of that country; empty for all.
	Country string
	Area    string
	GroupBy StatsGroup
}

// StatsRow holds the figures of one group and direction ("sent" or
// "received"): each share as the requests that met it and those it is
// measured on.
type StatsRow struct {
	Direction string
	Group     string
	Requests  int64
	// Accepted within 7 days of sending, of those accepted or whose 7 days
	// have passed.
	AcceptedInWeek, AcceptanceDecided int64
	// Answered, and the mean days from sending to answer.
	Answered      int64
	AvgAnswerDays *float64
	// Answered before the request became overdue (the day after the
	// agreed date), of those answered or whose agreed date has passed.
	AnsweredByAgreedDate, AgreedDateDecided int64
	// Answered within 7 days of sending, of those answered or whose 7 days
	// have passed.
	AnsweredInWeek, WeekDecided int64
	// Ratings of 1 or 2 (of 5) given at closure, of the ratings given.
	NegativeTimeliness, RatedTimeliness int64
	NegativeEffort, RatedEffort         int64
	// At AsOf: still open, open and unanswered past the agreed date's
	// day, escalated at least once.
	Open, Overdue, Escalated int64
}

// statsGroups are the SQL of each grouping; a is the authority of the
// row's direction.
var statsGroups = map[StatsGroup]string{
	ByCountry:   "a.country_code",
	ByArea:      "r.area_code",
	ByAuthority: "a.id::text",
}

// metBy is the SQL of an event e (a timestamp column) happening by limit,
// as known at @asof.
func metBy(e, limit string) string {
	return fmt.Sprintf("(%[1]s < @asof AND %[1]s <= %[2]s)", e, limit)
}

// decidedBy is the SQL of knowing at @asof whether e happened by limit:
// it did happen, or the limit has passed. A request withdrawn before the
// limit without e is left out: nobody failed it.
func decidedBy(e, limit string) string {
	return fmt.Sprintf("(%[1]s < @asof OR (%[2]s <= @asof AND NOT (%[1]s IS NULL AND state = 'WITHDRAWN' AND closed_at < %[2]s)))", e, limit)
}

// Stats computes the scoreboard's figures from the read model's
// timestamps, for the requests sent in the period, per group and
// direction, ordered by group.
func (s *Store) Stats(ctx context.Context, q StatsQuery) ([]StatsRow, error) {
	group, ok := statsGroups[q.GroupBy]
	if !ok {
		return nil, fmt.Errorf("stats grouped by %q: %w", q.GroupBy, ErrConflict)
	}
	if q.Day <= 0 {
		return nil, fmt.Errorf("stats with a day of %s: %w", q.Day, ErrConflict)
	}
	const (
		day  = "make_interval(secs => CAST(@day AS float8))"
		week = "make_interval(secs => 7 * CAST(@day AS float8))"
	)
	side := func(direction, authority string) string {
		return fmt.Sprintf(`SELECT '%s' AS direction, %s AS grp, r.*
			FROM requests r JOIN authorities a ON a.id = r.%s
			WHERE r.sent_at >= @from AND r.sent_at < @to AND (@country = '' OR a.country_code = @country)
			AND (@area = '' OR r.area_code = @area)`, direction, group, authority)
	}
	open := "(sent_at < @asof AND (closed_at IS NULL OR closed_at >= @asof))"
	query := `WITH base AS (` + side("sent", "requesting_authority") + ` UNION ALL ` + side("received", "responding_authority") + `)
		SELECT direction, grp AS "group", count(*) AS requests,
		count(*) FILTER (WHERE ` + metBy("accepted_at", "sent_at + "+week) + `) AS accepted_in_week,
		count(*) FILTER (WHERE ` + decidedBy("accepted_at", "sent_at + "+week) + `) AS acceptance_decided,
		count(*) FILTER (WHERE answered_at < @asof) AS answered,
		avg(extract(epoch FROM answered_at - sent_at) / CAST(@day AS float8)) FILTER (WHERE answered_at < @asof) AS avg_answer_days,
		count(*) FILTER (WHERE ` + metBy("answered_at", "reply_due + "+day) + `) AS answered_by_agreed_date,
		count(*) FILTER (WHERE ` + decidedBy("answered_at", "reply_due + "+day) + `) AS agreed_date_decided,
		count(*) FILTER (WHERE ` + metBy("answered_at", "sent_at + "+week) + `) AS answered_in_week,
		count(*) FILTER (WHERE ` + decidedBy("answered_at", "sent_at + "+week) + `) AS week_decided,
		count(*) FILTER (WHERE closed_at < @asof AND timeliness_rating <= 2) AS negative_timeliness,
		count(*) FILTER (WHERE closed_at < @asof AND timeliness_rating IS NOT NULL) AS rated_timeliness,
		count(*) FILTER (WHERE closed_at < @asof AND effort_rating <= 2) AS negative_effort,
		count(*) FILTER (WHERE closed_at < @asof AND effort_rating IS NOT NULL) AS rated_effort,
		count(*) FILTER (WHERE ` + open + `) AS open,
		count(*) FILTER (WHERE ` + OverdueCondition("") + `) AS overdue,
		count(*) FILTER (WHERE first_escalated_at < @asof) AS escalated
		FROM base GROUP BY direction, grp ORDER BY grp, direction`
	args := map[string]any{
		"from": q.From, "to": q.To, "asof": q.AsOf, "day": q.Day.Seconds(), "country": q.Country, "area": q.Area,
	}
	var rows []StatsRow
	if err := s.db.WithContext(ctx).Raw(query, args).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("compute the scoreboard: %w", err)
	}
	return rows, nil
}
