package models_test

import (
	"context"
	"fmt"
	"math"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

// statsDay is the fixture's day; t0 is its day 0.
const statsDay = 24 * time.Hour

var t0 = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func on(day int) time.Time { return t0.Add(time.Duration(day) * statsDay) }

func dayOf(n int) *int { return &n }

// life is a request's known history, in fixture days; nil is never.
type life struct {
	to                             uuid.UUID
	sent, due                      int
	accepted, answered, escalated  *int
	overdue, closed, withdrawn     *int
	chased                         *int
	timelinessRating, effortRating int
}

type statsFixture struct {
	t         *testing.T
	ctx       context.Context
	store     *models.Store
	requester models.Authority
	creator   uuid.UUID
}

func authority(t *testing.T, ctx context.Context, store *models.Store, country, region string) (models.Authority, uuid.UUID) {
	t.Helper()
	a := &models.Authority{
		Kind: models.CompetentAuthority, CountryCode: country, Region: region, Level: models.National,
		OfficialName: "Authority " + country + " " + uuid.NewString()[:8], OfficialNameLang: "en",
		Designation: models.Translations{"en": "authority"}, FunctionalMailbox: uuid.NewString() + "@openimi.test",
		Status: models.AuthorityActive, Areas: []models.AuthorityArea{{AreaCode: "services"}}, SearchText: "authority",
	}
	u := &models.User{Email: uuid.NewString() + "@openimi.test", DisplayName: "Official", PreferredLanguage: "en", PasswordHash: "x", Status: models.UserActive}
	if err := store.CreateAuthorityWithUser(ctx, models.NewAuthorityWithUser{Authority: a, FirstUser: u}, nil); err != nil {
		t.Fatal(err)
	}
	return *a, u.ID
}

// add writes a request's history through the store, event by event, as
// the workflow would.
func (f *statsFixture) add(l life) uuid.UUID {
	f.t.Helper()
	r := models.Request{RequestingAuthority: f.requester.ID, RespondingAuthority: l.to, CreatedBy: f.creator,
		AreaCode: "services", Subject: "fixture", SubjectLang: "en", Questions: models.StringArray{"q"}, NeededBy: on(l.sent + l.due)}
	if err := f.store.CreateDraft(f.ctx, &r, models.PersonalFields{}); err != nil {
		f.t.Fatal(err)
	}
	type step struct {
		day  int
		kind string
	}
	steps := []step{{l.sent, "sent"}}
	for _, s := range []struct {
		day  *int
		kind string
	}{{l.accepted, "accept"}, {l.answered, "answer"}, {l.escalated, "acceptance_escalation"}, {l.overdue, "reply_overdue"}, {l.closed, "close"}, {l.withdrawn, "withdraw"}, {l.chased, "chase"}} {
		if s.day != nil {
			steps = append(steps, step{*s.day, s.kind})
		}
	}
	sort.SliceStable(steps, func(i, j int) bool { return steps[i].day < steps[j].day })
	ev := models.RequestEventRecord{
		RequestID: r.ID, State: "AWAITING_ACCEPTANCE", RespondingAuthority: l.to,
		ReplyDue: on(l.sent + l.due), ReplyDueDays: l.due, AcceptanceClockFrom: on(l.sent),
	}
	for i, s := range steps {
		ev.Key, ev.Kind, ev.At = fmt.Sprintf("%s/e%d", r.ID, i), s.kind, on(s.day)
		ev.TimelinessRating, ev.EffortRating = 0, 0
		at := on(s.day)
		switch s.kind {
		case "accept":
			ev.State, ev.AcceptedBy = "ACCEPTED", &l.to
		case "answer":
			ev.State = "ANSWERED"
		case "acceptance_escalation":
			ev.EscalatedAt = &at
		case "reply_overdue":
			ev.Overdue = true
		case "close":
			ev.State, ev.ClosedAt = "CLOSED", &at
			ev.TimelinessRating, ev.EffortRating = l.timelinessRating, l.effortRating
		case "withdraw":
			ev.State, ev.ClosedAt = "WITHDRAWN", &at
		}
		if _, err := f.store.RecordRequestEvent(f.ctx, ev, nil); err != nil {
			f.t.Fatal(err)
		}
	}
	return r.ID
}

func newStatsFixture(t *testing.T) (*statsFixture, models.Authority, models.Authority, models.Authority) {
	ctx := context.Background()
	store := models.NewStore(testenv.Database(t))
	de, creator := authority(t, ctx, store, "DE", "Bayern")
	pl1, _ := authority(t, ctx, store, "PL", "Pomorskie")
	pl2, _ := authority(t, ctx, store, "PL", "Mazowieckie")
	fr, _ := authority(t, ctx, store, "FR", "")
	return &statsFixture{t: t, ctx: ctx, store: store, requester: de, creator: creator}, pl1, pl2, fr
}

// scoreboardFixture is the fixture every figure below is computed from by
// hand; see each request's comment.
func scoreboardFixture(t *testing.T) (*statsFixture, models.Authority) {
	f, pl1, pl2, fr := newStatsFixture(t)
	// R1: accepted in 2 days, answered in 10 (agreed 20), closed day 12 rated 5/4.
	f.add(life{to: pl1.ID, sent: 0, due: 20, accepted: dayOf(2), answered: dayOf(10), closed: dayOf(12), timelinessRating: 5, effortRating: 4})
	// R2: accepted in 8 days after an escalation, answered in 29 (late), closed day 31 rated 1/2.
	f.add(life{to: pl1.ID, sent: 1, due: 20, accepted: dayOf(9), escalated: dayOf(8), answered: dayOf(30), closed: dayOf(31), timelinessRating: 1, effortRating: 2})
	// R3: accepted in 1 day, answered in 3 (agreed 10), still ANSWERED.
	f.add(life{to: pl1.ID, sent: 5, due: 10, accepted: dayOf(6), answered: dayOf(8)})
	// R4: accepted in 1 day, never answered, agreed 15: overdue day 26, escalated day 28.
	f.add(life{to: pl2.ID, sent: 10, due: 15, accepted: dayOf(11), overdue: dayOf(26), escalated: dayOf(28)})
	// R5: sent day 35, waiting for acceptance: nothing decided yet at day 40.
	f.add(life{to: pl2.ID, sent: 35, due: 20})
	// R6: withdrawn on day 5 before acceptance: no deadline had passed.
	f.add(life{to: pl1.ID, sent: 3, due: 20, withdrawn: dayOf(5)})
	// R7: never accepted, withdrawn on day 15 after its 7 days and its agreed date (10) had passed.
	f.add(life{to: pl2.ID, sent: 2, due: 10, withdrawn: dayOf(15)})
	// R8: sent after the period.
	f.add(life{to: pl1.ID, sent: 50, due: 20})
	// R9: to France, accepted in 1 day, answered in 2, still ANSWERED.
	f.add(life{to: fr.ID, sent: 4, due: 20, accepted: dayOf(5), answered: dayOf(6)})
	return f, fr
}

func rowsByKey(rows []models.StatsRow) map[string]models.StatsRow {
	out := map[string]models.StatsRow{}
	for _, r := range rows {
		out[r.Direction+"/"+r.Group] = r
	}
	return out
}

func sameAvg(got *float64, want float64) bool {
	return got != nil && math.Abs(*got-want) < 1e-9
}

// want is a row's expected figures, computed by hand from the fixture.
type want struct {
	requests                   int64
	accepted, acceptDecided    int64
	answered                   int64
	avgDays                    float64
	byAgreed, agreedDecided    int64
	inWeek, weekDecided        int64
	negT, ratedT, negE, ratedE int64
	open, overdue, escalated   int64
}

func check(t *testing.T, name string, got models.StatsRow, w want) {
	t.Helper()
	g := want{got.Requests, got.AcceptedInWeek, got.AcceptanceDecided, got.Answered, 0,
		got.AnsweredByAgreedDate, got.AgreedDateDecided, got.AnsweredInWeek, got.WeekDecided,
		got.NegativeTimeliness, got.RatedTimeliness, got.NegativeEffort, got.RatedEffort, got.Open, got.Overdue, got.Escalated}
	wantNoAvg := w
	wantNoAvg.avgDays = 0
	if g != wantNoAvg {
		t.Errorf("%s:\n got %+v\nwant %+v", name, g, wantNoAvg)
	}
	if w.answered > 0 && !sameAvg(got.AvgAnswerDays, w.avgDays) {
		t.Errorf("%s: average days to answer %v, want %v", name, got.AvgAnswerDays, w.avgDays)
	}
	if w.answered == 0 && got.AvgAnswerDays != nil {
		t.Errorf("%s: average days to answer %v with no answer, want none", name, *got.AvgAnswerDays)
	}
}

func TestStats_EveryIndicatorMatchesTheFiguresComputedByHand(t *testing.T) {
	f, _ := scoreboardFixture(t)
	rows, err := f.store.Stats(f.ctx, models.StatsQuery{From: on(0), To: on(40), AsOf: on(40), Day: statsDay, GroupBy: models.ByCountry})
	if err != nil {
		t.Fatal(err)
	}
	got := rowsByKey(rows)
	if len(rows) != 3 {
		t.Fatalf("rows %+v, want sent/DE, received/PL, received/FR", rows)
	}
	// Received by PL: R1–R7.
	// Accepted within 7 days: R1, R3, R4 of R1, R2, R3, R4, R7 (R5 undecided, R6 withdrawn in time).
	// Answered: R1 10, R2 29, R3 3 days: mean 14.
	// By the agreed date (the day after it): R1, R3 of R1, R2, R3, R4, R7.
	// Within a week: R3 of R1, R2, R3, R4, R7.
	// Ratings: R2's 1 and 2 of R1's and R2's. Open at day 40: R3, R4, R5;
	// overdue R4; escalated R2, R4.
	check(t, "received/PL", got["received/PL"], want{7, 3, 5, 3, 14, 2, 5, 1, 5, 1, 2, 1, 2, 3, 1, 2})
	check(t, "received/FR", got["received/FR"], want{1, 1, 1, 1, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0, 0})
	// Sent by DE: the two together; mean (10+29+3+2)/4 = 11.
	check(t, "sent/DE", got["sent/DE"], want{8, 4, 6, 4, 11, 3, 6, 2, 6, 1, 2, 1, 2, 4, 1, 2})
}

func TestStats_RequestsStillOpenAtThePeriodsEndCountAsTheyStoodThen(t *testing.T) {
	f, _ := scoreboardFixture(t)
	rows, err := f.store.Stats(f.ctx, models.StatsQuery{From: on(0), To: on(20), AsOf: on(20), Day: statsDay, Country: "PL", GroupBy: models.ByCountry})
	if err != nil {
		t.Fatal(err)
	}
	got := rowsByKey(rows)
	if len(rows) != 1 {
		t.Fatalf("rows %+v, want received/PL alone: nobody in PL sent", rows)
	}
	// R1, R2, R3, R4, R6, R7 sent before day 20. At day 20: R2 was neither
	// answered nor closed (its rating is not yet given), R4 not yet
	// overdue, R2's escalation had happened, R4's not.
	check(t, "received/PL at day 20", got["received/PL"], want{6, 3, 5, 2, 6.5, 2, 3, 1, 5, 0, 1, 0, 1, 3, 0, 1})
}

func TestStats_NoRequestsGiveNoRows(t *testing.T) {
	f, _ := scoreboardFixture(t)
	rows, err := f.store.Stats(f.ctx, models.StatsQuery{From: on(100), To: on(110), AsOf: on(110), Day: statsDay, GroupBy: models.ByCountry})
	if err != nil || len(rows) != 0 {
		t.Fatalf("rows %+v, err %v, want none", rows, err)
	}
}

func TestStats_AllOverdue(t *testing.T) {
	f, pl1, pl2, _ := newStatsFixture(t)
	f.add(life{to: pl1.ID, sent: 0, due: 5, accepted: dayOf(1), overdue: dayOf(6)})
	f.add(life{to: pl2.ID, sent: 2, due: 5, accepted: dayOf(3), overdue: dayOf(8)})
	rows, err := f.store.Stats(f.ctx, models.StatsQuery{From: on(0), To: on(30), AsOf: on(10), Day: statsDay, Area: "services", GroupBy: models.ByArea})
	if err != nil {
		t.Fatal(err)
	}
	got := rowsByKey(rows)
	// Both accepted in a day; none answered; both past the day after their
	// agreed date (6 and 8) and past a week (7 and 9) at day 10.
	check(t, "received/services", got["received/services"], want{2, 2, 2, 0, 0, 0, 2, 0, 2, 0, 0, 0, 0, 2, 2, 0})
}

func TestStats_GroupedByAuthorityOfEachSide(t *testing.T) {
	f, fr := scoreboardFixture(t)
	rows, err := f.store.Stats(f.ctx, models.StatsQuery{From: on(0), To: on(40), AsOf: on(40), Day: statsDay, Country: "FR", GroupBy: models.ByAuthority})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Direction != "received" || rows[0].Group != fr.ID.String() || rows[0].Requests != 1 {
		t.Errorf("rows %+v, want R9 received by %s", rows, fr.ID)
	}
}

func TestDesk_ShowsTheRequestsOfEitherSideInScopeNewestEscalationFirst(t *testing.T) {
	f, _ := scoreboardFixture(t)
	var r1 models.Request
	if err := f.store.DB().Take(&r1, "sent_at = ?", on(0)).Error; err != nil {
		t.Fatal(err)
	}
	pl1 := r1.RespondingAuthority
	// R10: escalated on day 27 and chased by a coordinator on day 28: off
	// the escalated tray, still awaiting acceptance.
	chased := f.add(life{to: pl1, sent: 20, due: 20, escalated: dayOf(27), chased: dayOf(28)})
	items, total, err := f.store.CoordinationDesk(f.ctx, models.DeskQuery{AsOf: on(40), Day: statsDay, Scope: models.CoordinatorScope{Country: "PL"}, Page: 1, PageSize: 50})
	if err != nil {
		t.Fatal(err)
	}
	// Open requests to PL: R3 (no tray: answered, not escalated), R4
	// (escalated day 28, overdue), R10 (escalated day 27, handled, awaiting),
	// R5 and R8 (awaiting).
	if total != 4 || len(items) != 4 {
		t.Fatalf("desk of PL: %d items, total %d, want 4", len(items), total)
	}
	if !items[0].InEscalated || !items[0].InOverdue || items[0].InAwaitingAcceptance || !items[0].CoordinatesResponding || items[0].CoordinatesRequesting {
		t.Errorf("first item %+v, want R4, escalated and overdue, on the responding side", items[0])
	}
	if items[1].ID != chased || items[1].InEscalated || !items[1].InAwaitingAcceptance {
		t.Errorf("second item %+v, want R10, handled since its escalation, awaiting acceptance", items[1])
	}
	escalated, _, _ := f.store.CoordinationDesk(f.ctx, models.DeskQuery{AsOf: on(40), Day: statsDay, Scope: models.CoordinatorScope{Country: "PL"}, Filter: models.DeskEscalated, Page: 1, PageSize: 50})
	if len(escalated) != 1 || escalated[0].ID == chased {
		t.Errorf("escalated tray %d items, want R4 alone", len(escalated))
	}
	for _, it := range items[1:] {
		if it.State != "AWAITING_ACCEPTANCE" {
			t.Errorf("then %s, want those awaiting acceptance", it.State)
		}
	}
	overdue, _, _ := f.store.CoordinationDesk(f.ctx, models.DeskQuery{AsOf: on(40), Day: statsDay, Scope: models.CoordinatorScope{Country: "PL"}, Filter: models.DeskOverdue, Page: 1, PageSize: 50})
	if len(overdue) != 1 {
		t.Errorf("overdue tray %d items, want R4", len(overdue))
	}
	regional, _, _ := f.store.CoordinationDesk(f.ctx, models.DeskQuery{AsOf: on(40), Day: statsDay, Scope: models.CoordinatorScope{Country: "PL", Region: "Pomorskie"}, Page: 1, PageSize: 50})
	if len(regional) != 2 {
		t.Errorf("desk of Pomorskie: %d items, want R8 and R10", len(regional))
	}
	requesting, _, _ := f.store.CoordinationDesk(f.ctx, models.DeskQuery{AsOf: on(40), Day: statsDay, Scope: models.CoordinatorScope{Country: "DE"}, Page: 1, PageSize: 50})
	if len(requesting) != 4 || !requesting[0].CoordinatesRequesting {
		t.Errorf("desk of DE: %+v, want the same four on the requesting side", requesting)
	}
	other, _, _ := f.store.CoordinationDesk(f.ctx, models.DeskQuery{AsOf: on(40), Day: statsDay, Scope: models.CoordinatorScope{Country: "IT"}, Page: 1, PageSize: 50})
	if len(other) != 0 {
		t.Errorf("desk of IT: %d items, want none", len(other))
	}
	pq, _, _ := f.store.CoordinationDesk(f.ctx, models.DeskQuery{AsOf: on(40), Day: statsDay, Scope: models.CoordinatorScope{Country: "PL", Area: "professional-qualifications"}, Page: 1, PageSize: 50})
	if len(pq) != 0 {
		t.Errorf("desk of PL's professional qualifications: %d items, want none", len(pq))
	}
}
