package load

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// TimersOptions shape a timers run.
type TimersOptions struct {
	BaseURL string
	// Requests is how many requests are opened to wait on their deadlines.
	Requests    int
	Concurrency int
	// Day is OPENIMI_DAY, which the API must have too: the first
	// acceptance reminder comes due three days after sending.
	Day time.Duration
	// DatabaseURL is read to see the reminders recorded: asking the API for
	// thousands of timelines every second would measure the asking.
	DatabaseURL string
	// TemporalAddress finds the Temporal server whose memory is reported.
	TemporalAddress string
	// Executable is the openimi binary whose worker this run starts and
	// stops; WorkerLogs receives its output.
	Executable string
	WorkerLogs io.Writer
	// MaxBurst bounds the wait for the reminders.
	MaxBurst time.Duration
	Log      *slog.Logger
}

// reminderDay is the acceptance reminder the run waits for (SPEC §3: day 3).
const reminderDay = 3

// TimersReport is what a timers run measured.
type TimersReport struct {
	Requests    int
	Concurrency int
	Day         time.Duration
	// Opening is the time to draft and send them all.
	Opening   Throughput
	Latencies []Latency
	Failures  []Failure
	// Memory while they wait, and before any was opened.
	WorkerRSSBefore, WorkerRSSWaiting     int64
	TemporalRSSBefore, TemporalRSSWaiting int64
	TemporalPID                           int
	// FiredEarly is how many reminders fired before the worker was held
	// back (none when opening took less than three days).
	FiredEarly int
	// Recorded is the time from the worker's return until every reminder
	// was in the timeline; Mailed until every mail of them was delivered.
	Recorded, Mailed time.Duration
	// WorkerStart is the part of those the worker took to start polling.
	WorkerStart      time.Duration
	Reminders, Mails int
	WorkerRSSBurst   int64
}

// Timers opens Requests requests that wait for acceptance, measures the
// memory of the worker and of the Temporal server while they wait, then
// holds the worker back until every request's day-3 reminder is due and
// lets it go: the reminders fire at once, as after an outage, and the run
// reports how long until all are recorded and their mails delivered.
//
// The worker is this run's own child (`openimi worker`), started with the
// environment of the run; the API must run without a worker of its own.
func Timers(ctx context.Context, opts TimersOptions) (TimersReport, error) {
	rep := TimersReport{Requests: opts.Requests, Concurrency: opts.Concurrency, Day: opts.Day}
	for _, addr := range []string{opts.BaseURL, opts.TemporalAddress} {
		if err := CheckLoopback(addr); err != nil {
			return rep, err
		}
	}
	limits := Limits{Concurrency: opts.Concurrency, Duration: MaxDuration, Count: opts.Requests}
	if err := limits.Check(); err != nil {
		return rep, err
	}
	if opts.Day < time.Second || opts.Day > 10*time.Minute {
		return rep, fmt.Errorf("load: OPENIMI_DAY must be between 1s and 10m for the timers scenario, not %s", opts.Day)
	}
	db, err := pgx.Connect(ctx, opts.DatabaseURL)
	if err != nil {
		return rep, fmt.Errorf("timers: connect to the database: %w", err)
	}
	defer db.Close(context.WithoutCancel(ctx))
	if rep.TemporalPID, err = TemporalServerPID(opts.TemporalAddress); err != nil {
		return rep, err
	}
	rec := NewRecorder()
	api, err := NewAPI(opts.BaseURL, opts.Concurrency, rec)
	if err != nil {
		return rep, err
	}
	defer api.Close()
	if err := api.WaitReady(ctx, 60*time.Second); err != nil {
		return rep, err
	}
	worker, err := startWorker(ctx, opts.Executable, opts.WorkerLogs)
	if err != nil {
		return rep, err
	}
	defer func() { _ = worker.stop(30 * time.Second) }()
	rep.WorkerRSSBefore, rep.TemporalRSSBefore = rssOf(worker.pid()), rssOf(rep.TemporalPID)

	officials, err := SignInDemoHandlers(ctx, api, 30)
	if err != nil {
		return rep, err
	}
	pairs := Pairs(officials)
	areas := make([]string, 0, len(pairs))
	for _, p := range pairs {
		areas = append(areas, p.Area)
	}
	questions, err := YesNoQuestions(ctx, api, areas, 3)
	if err != nil {
		return rep, err
	}
	rec = NewRecorder()
	api.rec = rec

	// Open the requests: draft and send, nothing more.
	var mu sync.Mutex
	ids := make([]string, 0, opts.Requests)
	var lastSent time.Time
	firstSent := time.Now()
	opts.Log.Info("timers: opening requests", "requests", opts.Requests, "officials", opts.Concurrency, "day", opts.Day.String())
	rep.Opening, err = drive(ctx, opts.Log, limits, func(ctx context.Context, turn Turn) error {
		p := pairs[turn.Official%len(pairs)]
		id, err := openRequest(ctx, api, p, questions[p.Area], turn.Seq)
		if err != nil {
			return err
		}
		mu.Lock()
		ids = append(ids, id)
		lastSent = time.Now()
		mu.Unlock()
		return nil
	})
	rep.Latencies = rec.Latencies("draft", "send")
	rep.Failures = rec.Failures(func(_ string, status int) bool { return status == http.StatusOK || status == http.StatusCreated })
	if err != nil {
		return rep, err
	}
	if time.Since(firstSent) > reminderDay*opts.Day {
		opts.Log.Warn("timers: opening took longer than three days of OPENIMI_DAY: the first reminders fired before the burst; raise OPENIMI_DAY",
			"opening", rep.Opening.Elapsed.String(), "day", opts.Day.String())
	}

	// While they wait: a few samples, the highest kept, since the
	// collector and the caches move the figure by some megabytes.
	for range 5 {
		rep.WorkerRSSWaiting = max(rep.WorkerRSSWaiting, rssOf(worker.pid()))
		rep.TemporalRSSWaiting = max(rep.TemporalRSSWaiting, rssOf(rep.TemporalPID))
		if err := sleep(ctx, time.Second); err != nil {
			return rep, err
		}
	}

	// Hold the worker back until every reminder is due.
	if err := worker.stop(30 * time.Second); err != nil {
		return rep, err
	}
	due := lastSent.Add(reminderDay*opts.Day + time.Second)
	if rep.FiredEarly, _, err = countReminders(ctx, db, ids); err != nil {
		return rep, err
	}
	opts.Log.Info("timers: worker held back until every reminder is due", "due_in", time.Until(due).Round(time.Second).String(), "fired_already", rep.FiredEarly)
	if err := sleep(ctx, time.Until(due)); err != nil {
		return rep, err
	}
	began := time.Now()
	again, err := startWorker(ctx, opts.Executable, opts.WorkerLogs)
	if err != nil {
		return rep, err
	}
	defer func() { _ = again.stop(30 * time.Second) }()
	rep.WorkerStart = time.Since(began)
	deadline := began.Add(opts.MaxBurst)
	for {
		rep.WorkerRSSBurst = max(rep.WorkerRSSBurst, rssOf(again.pid()))
		reminders, pending, err := countReminders(ctx, db, ids)
		if err != nil {
			return rep, err
		}
		rep.Reminders = reminders
		if rep.Recorded == 0 && reminders >= len(ids) {
			rep.Recorded = time.Since(began)
		}
		if rep.Recorded != 0 && pending == 0 {
			rep.Mailed = time.Since(began)
			rep.Mails, err = countReminderMails(ctx, db, ids)
			return rep, err
		}
		if time.Now().After(deadline) {
			return rep, fmt.Errorf("timers: %d of %d reminders recorded, %d mails undelivered after %s", reminders, len(ids), pending, opts.MaxBurst)
		}
		if err := sleep(ctx, 200*time.Millisecond); err != nil {
			return rep, err
		}
	}
}

// openRequest drafts and sends a request, which then waits for acceptance.
func openRequest(ctx context.Context, api *API, p Pair, questions []string, seq int) (string, error) {
	var r requestView
	err := api.Call(ctx, "draft", http.MethodPost, "/api/v1/requests", p.Requester.Token, map[string]any{
		"area": p.Area, "responding_authority": p.Responder.Authority,
		"subject": fmt.Sprintf("Waiting request %d", seq), "subject_lang": "en", "questions": questions,
		"needed_by": time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02"),
	}, http.StatusCreated, &r)
	if err != nil {
		return "", err
	}
	return r.ID, api.Call(ctx, "send", http.MethodPost, "/api/v1/requests/"+r.ID+"/send", p.Requester.Token, nil, http.StatusOK, nil)
}

// reminderKey matches the event key of a request's day-3 acceptance
// reminder (workflows: "<request>/acceptance_reminder/3@<anchor>"); the
// mails of an event carry its key.
const reminderKey = "%/acceptance_reminder/3@%"

// countReminders counts the day-3 reminders recorded for the requests, and
// their mails not yet delivered.
func countReminders(ctx context.Context, db *pgx.Conn, ids []string) (recorded, undelivered int, err error) {
	err = db.QueryRow(ctx, `
		SELECT
		  (SELECT count(*) FROM request_events WHERE request_id::text = ANY($1::text[]) AND event_key LIKE $2),
		  (SELECT count(*) FROM mail_outbox WHERE event_key LIKE $2 AND status <> 'sent'
		     AND split_part(event_key, '/', 1) = ANY($1::text[]))`,
		ids, reminderKey).Scan(&recorded, &undelivered)
	if err != nil {
		return 0, 0, fmt.Errorf("timers: count the reminders: %w", err)
	}
	return recorded, undelivered, nil
}

func countReminderMails(ctx context.Context, db *pgx.Conn, ids []string) (int, error) {
	var n int
	err := db.QueryRow(ctx, `SELECT count(*) FROM mail_outbox WHERE event_key LIKE $2 AND status = 'sent'
		AND split_part(event_key, '/', 1) = ANY($1::text[])`, ids, reminderKey).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("timers: count the reminder mails: %w", err)
	}
	return n, nil
}

// rssOf is the resident memory of pid, or 0 when it cannot be read.
func rssOf(pid int) int64 {
	if pid == 0 {
		return 0
	}
	n, err := RSS(pid)
	if err != nil {
		return 0
	}
	return n
}

func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return nil
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(d):
		return nil
	}
}

func mib(n int64) string {
	if n == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}

// Write prints the report.
func (r TimersReport) Write(w io.Writer) error {
	fmt.Fprintf(w, "timers: %d requests opened by %d officials in %s (%.1f/s), %d failed; OPENIMI_DAY %s\n",
		r.Opening.Completed, r.Concurrency, r.Opening.Elapsed.Round(time.Millisecond), r.Opening.PerSecond(), r.Opening.Failed, r.Day)
	if err := writeLatencies(w, "action", r.Latencies); err != nil {
		return err
	}
	writeFailures(w, r.Failures)
	fmt.Fprintf(w, "resident memory before → while %d requests wait: worker %s → %s, Temporal server %s → %s\n",
		r.Opening.Completed, mib(r.WorkerRSSBefore), mib(r.WorkerRSSWaiting), mib(r.TemporalRSSBefore), mib(r.TemporalRSSWaiting))
	fmt.Fprintf(w, "burst: %d day-%d reminders due at once (%d had fired before the worker was held back): all recorded %s after the worker was started again (%s of it to start polling), their %d mails delivered after %s; worker's peak memory %s\n",
		r.Reminders, reminderDay, r.FiredEarly, r.Recorded.Round(time.Millisecond), r.WorkerStart.Round(time.Millisecond), r.Mails, r.Mailed.Round(time.Millisecond), mib(r.WorkerRSSBurst))
	return nil
}
