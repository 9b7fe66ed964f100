package faults_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/system/load"
)

// The outages the issue names. Under -short they shrink (the figures in
// docs/RELIABILITY.md are from full runs); OPENIMI_FAULTS_FULL=1 keeps them
// whole even then.
const (
	databaseOutage = 10 * time.Second
	relayOutage    = 30 * time.Second
	// temporalOutage is how long Temporal's server stays dead; the API is
	// killed and restarted inside it.
	temporalOutage = 8 * time.Second
)

const (
	officials   = 4
	workerKills = 3
	apiKills    = 3
	// recoveryBound is how long a fault may take to heal before the run
	// goes on and the final checks say what was left broken.
	recoveryBound = 60 * time.Second
	// settleBound is how long the back offices may take, once the faults
	// are over, to finish the lifecycles they began; mailBound how long the
	// outbox may then take to drain.
	settleBound = 60 * time.Second
	mailBound   = 60 * time.Second
)

// fault is one injected fault with its figures.
type fault struct {
	name     string
	injected time.Time
	// restored is when the broken part was started again.
	restored  time.Time
	recovery  time.Duration
	recovered bool
	// allClear is when every official had an action begun after the
	// restart succeed: the wait of whatever the fault left in flight.
	allClear time.Duration
	note     string
}

// TestFaults_LifecyclesSurviveKillsAndOutagesOfEveryProcess runs the whole
// system as separate processes while back offices drive request
// lifecycles over HTTP, and breaks it in every way a production night can:
// the worker and the API killed at seeded random moments, PostgreSQL
// stopped, Temporal's server killed (and the API restarted while it is
// down), the SMTP relay stopped. Then nothing the clients were told may be
// lost, nothing may be stuck, no event may be recorded twice, and every
// mail must arrive.
func TestFaults_LifecyclesSurviveKillsAndOutagesOfEveryProcess(t *testing.T) {
	started := time.Now()
	seed := uint64(time.Now().UnixNano())
	if v := os.Getenv("OPENIMI_FAULTS_SEED"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("OPENIMI_FAULTS_SEED=%q: %v", v, err)
		}
		seed = n
	}
	t.Logf("seed %d (rerun the same moments with OPENIMI_FAULTS_SEED=%d)", seed, seed)
	dbOutage, smtpOutage := databaseOutage, relayOutage
	if testing.Short() && os.Getenv("OPENIMI_FAULTS_FULL") == "" {
		dbOutage, smtpOutage = 3*time.Second, 8*time.Second
	}
	rng := rand.New(rand.NewPCG(seed, 0))

	sys := startSystem(t)
	setUp := time.Since(started)
	t.Logf("system up in %s", setUp.Round(time.Millisecond))
	ctx := context.Background()
	keepCtx, stopKeeping := context.WithCancel(ctx)
	defer stopKeeping()
	go sys.keepUp(keepCtx)

	calls := load.NewRecorder()
	api, err := load.NewAPI(sys.apiURL, officials, calls)
	if err != nil {
		t.Fatal(err)
	}
	defer api.Close()
	signedIn, err := load.SignInDemoHandlers(ctx, api, 2*officials)
	if err != nil {
		t.Fatal(err)
	}
	pairs := load.Pairs(signedIn)[:officials]
	areas := make([]string, 0, len(pairs))
	for _, p := range pairs {
		areas = append(areas, p.Area)
	}
	questions, err := load.YesNoQuestions(ctx, api, areas, 3)
	if err != nil {
		t.Fatal(err)
	}

	// The back offices work until the faults are over and their last
	// lifecycles are settled, or settleBound after the faults at most.
	runCtx, endRun := context.WithCancel(ctx)
	defer endRun()
	offices := newBackOffices(api, pairs, questions, seed)
	var clients sync.WaitGroup
	for n := range officials {
		clients.Go(func() { offices.run(runCtx, n) })
	}

	var faults []*fault
	// between waits a seeded random while before the next fault, so that
	// faults land at any point of the lifecycles.
	between := func() { time.Sleep(time.Duration(1000+rng.IntN(2000)) * time.Millisecond) }
	awaitRecovery := func(f *fault) {
		f.recovery, f.recovered = offices.progressSince(ctx, f.restored, recoveryBound)
		t.Logf("%s: recovered=%v in %s %s", f.name, f.recovered, f.recovery.Round(time.Millisecond), f.note)
		faults = append(faults, f)
	}
	// Let the officials get going first.
	if _, ok := offices.progressSince(ctx, started, recoveryBound); !ok {
		t.Fatal("no lifecycle made progress before any fault")
	}

	for i := range workerKills {
		between()
		claimed := ""
		if i == workerKills-1 {
			// The last kill lands while the dispatcher holds mails it
			// claimed, the case of issue 13's defect 8: they must go out
			// within seconds, not after a long lease.
			claimed = fmt.Sprintf(", %d mails claimed", waitClaimedMail(ctx, sys, 5*time.Second))
		}
		f := &fault{name: fmt.Sprintf("worker SIGKILL %d/%d", i+1, workerKills), injected: time.Now()}
		sys.worker.kill()
		// Down for a while, as long as an orchestrator takes to notice.
		down := time.Duration(rng.IntN(2000)) * time.Millisecond
		time.Sleep(down)
		f.restored = time.Now()
		f.note = fmt.Sprintf("(down %s%s)", down.Round(time.Millisecond), claimed)
		if err := sys.worker.restart(); err != nil {
			t.Fatal(err)
		}
		awaitRecovery(f)
	}
	for i := range apiKills {
		between()
		f := &fault{name: fmt.Sprintf("API SIGKILL %d/%d", i+1, apiKills), injected: time.Now()}
		sys.api.kill()
		f.restored = time.Now()
		if err := sys.api.restart(); err != nil {
			t.Fatal(err)
		}
		awaitRecovery(f)
	}

	between()
	f := &fault{name: fmt.Sprintf("PostgreSQL stopped %s", dbOutage), injected: time.Now()}
	if err := sys.pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(dbOutage)
	f.restored = time.Now()
	if err := sys.startPostgres(ctx); err != nil {
		t.Fatal(err)
	}
	awaitRecovery(f)

	between()
	f = &fault{name: "Temporal SIGKILL, API restarted while it is down", injected: time.Now()}
	if err := sys.temporal.Kill(); err != nil {
		t.Fatal(err)
	}
	// One more lifecycle begins now: its draft needs no Temporal, its send
	// claims the draft and waits. The API dies under it, so that the
	// interrupted send of issue 13's defect 7 is tried at every run.
	clients.Go(func() { offices.runOne(runCtx, officials) })
	for wait := time.Now().Add(temporalOutage / 2); offices.sendsInFlight.Load() == 0 && time.Now().Before(wait); {
		time.Sleep(20 * time.Millisecond)
	}
	// Long enough for the send to have claimed its draft and to be
	// waiting for Temporal.
	time.Sleep(500 * time.Millisecond)
	f.note = fmt.Sprintf("(%d sends under way when the API was killed)", offices.sendsInFlight.Load())
	sys.api.kill()
	if err := sys.api.restart(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(f.injected.Add(temporalOutage)))
	f.restored = time.Now()
	if err := sys.startTemporal(ctx); err != nil {
		t.Fatal(err)
	}
	awaitRecovery(f)

	between()
	f = &fault{name: fmt.Sprintf("SMTP relay stopped %s", smtpOutage), injected: time.Now()}
	if err := sys.mailpit.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	time.Sleep(smtpOutage)
	f.restored = time.Now()
	if err := sys.startMailpit(ctx); err != nil {
		t.Fatal(err)
	}
	// The relay's recovery is the delivery of every mail enqueued while it
	// was down.
	f.recovery, f.recovered = waitMail(ctx, sys, f.injected, f.restored, recoveryBound)
	t.Logf("%s: recovered=%v in %s", f.name, f.recovered, f.recovery.Round(time.Millisecond))
	faults = append(faults, f)
	faultsOver := time.Now()

	// Settle: the back offices finish what they began, then the outbox
	// drains.
	offices.stopNew.Store(true)
	settled := make(chan struct{})
	go func() { clients.Wait(); close(settled) }()
	select {
	case <-settled:
	case <-time.After(settleBound):
		endRun()
		<-settled
	}
	lifecyclesSettled := time.Since(faultsOver)
	mailSettled, mailOK := waitMail(ctx, sys, time.Time{}, time.Now(), mailBound)
	stopKeeping()

	for _, f := range faults {
		f.allClear = offices.allClear(f.restored)
	}
	r := measure(ctx, t, sys, offices, faults, faultsOver)
	r.seed, r.faults, r.setUp, r.total, r.started = seed, faults, setUp, time.Since(started), started
	r.lifecyclesSettled, r.mailSettled, r.mailSettledOK = lifecyclesSettled, mailSettled, mailOK
	r.exitsAPI, r.exitsWorker = sys.api.exitCount(), sys.worker.exitCount()
	r.slowestAction = offices.slowest()
	r.failedCalls = calls.Failures(func(_ string, status int) bool { return status == http.StatusOK || status == http.StatusCreated })
	report := r.String()
	t.Log("\n" + report)
	if path := os.Getenv("OPENIMI_FAULTS_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(report), 0o644); err != nil {
			t.Errorf("write the report: %v", err)
		}
	}

	if r.closed == 0 {
		t.Error("no lifecycle was carried to its end: the run proves nothing")
	}
	if r.lost != 0 {
		t.Errorf("%d lifecycles lost what the API had said succeeded: %v", r.lost, r.lostDetails)
	}
	if r.refused != 0 {
		t.Errorf("%d lifecycles given up: the API refused a careful client's call for good: %v", r.refused, r.stuckDetails)
	}
	if r.stuck != 0 {
		t.Errorf("%d requests stuck after settling: %v", r.stuck, r.stuckDetails)
	}
	if r.duplicatedEvents != 0 {
		t.Errorf("%d timeline events recorded twice: %v", r.duplicatedEvents, r.duplicateDetails)
	}
	if r.missingEvents != 0 {
		t.Errorf("%d closed requests lack one of their events", r.missingEvents)
	}
	if r.mailsUndelivered != 0 {
		t.Errorf("%d of %d mails never arrived (outbox settled: %v): %v", r.mailsUndelivered, r.mails, mailOK, r.undeliveredDetails)
	}
	// A mail is sent twice only when a fault falls between the relay's
	// acceptance and the outbox's mark: a dispatcher killed (worker kills)
	// or unable to mark (PostgreSQL's outage), or a relay stopped in mid
	// session, each with at most one mail in flight per connection.
	bound := relayConnections * (workerKills + 2)
	if r.mailsResent > bound {
		t.Errorf("%d mails sent twice or more; at most %d can be in flight when the %d faults that can cut a send from its mark strike", r.mailsResent, bound, workerKills+2)
	}
	for _, f := range faults {
		if !f.recovered {
			t.Errorf("%s: no recovery within %s", f.name, recoveryBound)
		}
	}
}

// waitClaimedMail waits until the dispatcher holds claimed mails, for at
// most bound, and says how many. Sends take milliseconds, so it looks
// every two.
func waitClaimedMail(ctx context.Context, sys *system, bound time.Duration) int {
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		var n int
		err := sys.db.QueryRow(ctx, "SELECT count(*) FROM mail_outbox WHERE status = 'sending'").Scan(&n)
		if err == nil && n > 0 {
			return n
		}
		time.Sleep(2 * time.Millisecond)
	}
	return 0
}

// waitMail waits until every mail enqueued from since to until has been
// delivered, for at most bound, and says how long after until that was.
// It polls the outbox: the dispatcher in another process tells no one.
func waitMail(ctx context.Context, sys *system, since, until time.Time, bound time.Duration) (time.Duration, bool) {
	deadline := time.Now().Add(bound)
	for {
		var waiting int64
		err := sys.db.QueryRow(ctx, "SELECT count(*) FROM mail_outbox WHERE status <> 'sent' AND created_at >= $1 AND created_at <= $2",
			since, until).Scan(&waiting)
		if err == nil && waiting == 0 {
			return max(time.Since(until), 0), true
		}
		if time.Now().After(deadline) {
			return time.Since(until), false
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// results are the figures of a run.
type results struct {
	seed                               uint64
	faults                             []*fault
	setUp, total                       time.Duration
	started                            time.Time
	lifecyclesSettled, mailSettled     time.Duration
	mailSettledOK                      bool
	exitsAPI, exitsWorker              int
	slowestAction                      action
	failedCalls                        []load.Failure
	lifecycles, closed, refused        int
	retries, adopted, conflicts        int
	lost, stuck                        int
	lostDetails, stuckDetails          []string
	orphanDrafts                       int
	events, duplicatedEvents           int
	duplicateDetails                   []string
	missingEvents                      int
	mails, mailsDelivered, mailsResent int
	mailsUndelivered, unexpectedMails  int
	undeliveredDetails                 []string
	slowestMail                        time.Duration
	slowestMailPerFault                []time.Duration
	unsentMailPerFault                 []int
}

// measure reads the outcome from the read model, the outbox and the relay.
func measure(ctx context.Context, t *testing.T, sys *system, offices *backOffices, faults []*fault, faultsOver time.Time) results {
	t.Helper()
	var r results
	lcs, retries, adopted, conflicts := offices.snapshot()
	r.lifecycles, r.retries, r.adopted, r.conflicts = len(lcs), retries, adopted, conflicts

	state := map[string]string{}
	claimed := map[string]bool{}
	rows, err := sys.db.Query(ctx, "SELECT id::text, state, sending_at IS NOT NULL FROM requests")
	if err != nil {
		t.Fatalf("read the requests: %v", err)
	}
	for rows.Next() {
		var id, st string
		var sending bool
		if err := rows.Scan(&id, &st, &sending); err != nil {
			t.Fatal(err)
		}
		state[id], claimed[id] = st, sending
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, lc := range lcs {
		if lc.refused != "" {
			r.refused++
			r.stuckDetails = append(r.stuckDetails, fmt.Sprintf("%q refused: %s", lc.subject, lc.refused))
		}
		if lc.id == "" {
			if lc.acked > 0 {
				r.lost++
				r.lostDetails = append(r.lostDetails, fmt.Sprintf("%q: acknowledged with no id", lc.subject))
			}
			continue
		}
		known[lc.id] = true
		st, ok := state[lc.id]
		if lc.acked > 0 && (!ok || progressOf(st) < lc.acked-1) {
			r.lost++
			r.lostDetails = append(r.lostDetails, fmt.Sprintf("%s (%q): told %s, is %q", lc.id, lc.subject, steps[lc.acked-1], st))
		}
		if st == "CLOSED" {
			r.closed++
		}
	}
	// Every request in the database is one of the back offices': it is
	// closed, or it is a draft nobody sent, which is not stuck as long as
	// no send holds it.
	for id, st := range state {
		switch {
		case st == "CLOSED":
		case st == "DRAFT" && !claimed[id] && !known[id]:
			r.orphanDrafts++
		default:
			r.stuck++
			r.stuckDetails = append(r.stuckDetails, fmt.Sprintf("%s is %s (claimed for sending: %v)", id, st, claimed[id]))
		}
	}

	// No event twice: the event keys are unique by the schema, so a
	// duplicate would be a second event of the same kind, e.g. accepted
	// twice, which this lifecycle never records legitimately.
	if err := sys.db.QueryRow(ctx, "SELECT count(*) FROM request_events").Scan(&r.events); err != nil {
		t.Fatal(err)
	}
	dup, err := sys.db.Query(ctx, `SELECT request_id::text, kind, count(*) FROM request_events GROUP BY 1, 2 HAVING count(*) > 1`)
	if err != nil {
		t.Fatal(err)
	}
	for dup.Next() {
		var id, kind string
		var n int
		if err := dup.Scan(&id, &kind, &n); err != nil {
			t.Fatal(err)
		}
		r.duplicatedEvents += n - 1
		r.duplicateDetails = append(r.duplicateDetails, fmt.Sprintf("%s %s ×%d", id, kind, n))
	}
	if err := dup.Err(); err != nil {
		t.Fatal(err)
	}
	// A closed request has been sent, accepted, answered and closed.
	if err := sys.db.QueryRow(ctx, `SELECT count(*) FROM requests r WHERE r.state = 'CLOSED' AND
		(SELECT count(DISTINCT kind) FROM request_events e WHERE e.request_id = r.id) < 4`).Scan(&r.missingEvents); err != nil {
		t.Fatal(err)
	}

	// Every mail of the outbox arrived: its Message-ID at least once.
	type outboxMail struct {
		messageID string
		created   time.Time
		sent      *time.Time
	}
	var outbox []outboxMail
	mrows, err := sys.db.Query(ctx, "SELECT event_key, recipient, created_at, sent_at FROM mail_outbox")
	if err != nil {
		t.Fatal(err)
	}
	for mrows.Next() {
		var key, to string
		var m outboxMail
		if err := mrows.Scan(&key, &to, &m.created, &m.sent); err != nil {
			t.Fatal(err)
		}
		m.messageID = strings.Trim(mail.MessageID(key, to, mailDomain), "<>")
		outbox = append(outbox, m)
	}
	if err := mrows.Err(); err != nil {
		t.Fatal(err)
	}
	received := relayMessageIDs(t, sys.mailpit.APIURL)
	r.mails = len(outbox)
	expected := map[string]bool{}
	for _, m := range outbox {
		expected[m.messageID] = true
		if n := received[m.messageID]; n == 0 {
			r.mailsUndelivered++
			if len(r.undeliveredDetails) < 10 {
				r.undeliveredDetails = append(r.undeliveredDetails, fmt.Sprintf("%s enqueued %s", m.messageID, m.created.Format(time.TimeOnly)))
			}
		} else {
			r.mailsDelivered++
			r.mailsResent += n - 1
		}
		if m.sent != nil {
			r.slowestMail = max(r.slowestMail, m.sent.Sub(m.created))
		}
	}
	for id := range received {
		if !expected[id] {
			r.unexpectedMails++
		}
	}
	// The slowest mail enqueued from each fault to the next.
	for i, f := range faults {
		until := faultsOver
		if i+1 < len(faults) {
			until = faults[i+1].injected
		}
		var slowest time.Duration
		unsent := 0
		for _, m := range outbox {
			if m.created.Before(f.injected) || !m.created.Before(until) {
				continue
			}
			if m.sent == nil {
				unsent++
				continue
			}
			slowest = max(slowest, m.sent.Sub(m.created))
		}
		r.slowestMailPerFault = append(r.slowestMailPerFault, slowest)
		r.unsentMailPerFault = append(r.unsentMailPerFault, unsent)
	}
	return r
}

// relayMessageIDs counts the mails Mailpit holds per Message-ID.
func relayMessageIDs(t *testing.T, apiURL string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for start := 0; ; {
		var page struct {
			Total    int `json:"total"`
			Messages []struct {
				MessageID string `json:"MessageID"`
			} `json:"messages"`
		}
		resp, err := http.Get(fmt.Sprintf("%s/api/v1/messages?start=%d&limit=500", apiURL, start))
		if err != nil {
			t.Fatalf("list the relay's mails: %v", err)
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		_ = resp.Body.Close()
		if err != nil {
			t.Fatalf("list the relay's mails: %v", err)
		}
		for _, m := range page.Messages {
			out[strings.Trim(m.MessageID, "<>")]++
		}
		start += len(page.Messages)
		if len(page.Messages) == 0 || start >= page.Total {
			return out
		}
	}
}

// String renders the figures as the Markdown docs/RELIABILITY.md shows.
func (r results) String() string {
	var b strings.Builder
	ms := func(d time.Duration) string { return d.Round(100 * time.Millisecond).String() }
	fmt.Fprintf(&b, "seed %d; %s in all (%s to start the system)\n\n", r.seed, ms(r.total), ms(r.setUp))
	fmt.Fprintf(&b, "| fault | recovered | first action served after the restart | every official served again | slowest mail enqueued from it to the next fault |\n|---|---|---|---|---|\n")
	for i, f := range r.faults {
		slowest := "–"
		if i < len(r.slowestMailPerFault) {
			slowest = ms(r.slowestMailPerFault[i])
			if n := r.unsentMailPerFault[i]; n > 0 {
				slowest += fmt.Sprintf(", %d never sent", n)
			}
		}
		name := f.name
		if f.note != "" {
			name += " " + f.note
		}
		fmt.Fprintf(&b, "| %s | %v | %s | %s | %s |\n", name, f.recovered, ms(f.recovery), ms(f.allClear), slowest)
	}
	fmt.Fprintf(&b, "\n| figure | value |\n|---|---|\n")
	rows := []struct {
		k string
		v any
	}{
		{"lifecycles begun", r.lifecycles},
		{"lifecycles closed", r.closed},
		{"lost (told succeeded, not in the read model)", r.lost},
		{"stuck (not closed after settling, or refused)", r.stuck + r.refused},
		{"duplicated timeline events", r.duplicatedEvents},
		{"closed requests missing an event", r.missingEvents},
		{"timeline events", r.events},
		{"calls retried by the back offices", r.retries},
		{"drafts found after a lost answer (not created twice)", r.adopted},
		{"retries answered 409 although the action had taken effect", r.conflicts},
		{"drafts left unsent (a lost answer the client did not find)", r.orphanDrafts},
		{"mails in the outbox", r.mails},
		{"mails delivered (Message-ID seen at least once)", r.mailsDelivered},
		{"mails never delivered", r.mailsUndelivered},
		{"mails delivered more than once (extra copies)", r.mailsResent},
		{"mails at the relay not in the outbox", r.unexpectedMails},
		{"slowest action (first call to success)", fmt.Sprintf("%s, %s after the run's start, %d calls answered %s",
			r.slowestAction.step+" "+ms(r.slowestAction.done.Sub(r.slowestAction.begun)),
			ms(r.slowestAction.begun.Sub(r.started)), r.slowestAction.calls, strings.Join(r.slowestAction.answers, ", "))},
		{"slowest mail (enqueued to sent)", ms(r.slowestMail)},
		{"lifecycles settled after the last fault in", ms(r.lifecyclesSettled)},
		{"outbox drained after that in", fmt.Sprintf("%s (drained: %v)", ms(r.mailSettled), r.mailSettledOK)},
		{"API / worker exits on their own, restarted", fmt.Sprintf("%d / %d", r.exitsAPI, r.exitsWorker)},
	}
	for _, row := range rows {
		fmt.Fprintf(&b, "| %s | %v |\n", row.k, row.v)
	}
	// What the back offices were answered when a call failed (status 0:
	// no answer, the connection lost or refused).
	var failed []string
	for _, f := range r.failedCalls {
		failed = append(failed, fmt.Sprintf("%s %d ×%d", f.Action, f.Status, f.Count))
	}
	fmt.Fprintf(&b, "\nfailed calls, retried: %s\n", strings.Join(failed, ", "))
	return b.String()
}
