package faults_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/system/load"
)

// steps are the calls of one request's life, and states the state each
// leaves the request in: a request's progress is the index of its state.
var (
	steps  = []string{"draft", "send", "accept", "answer", "close"}
	states = []string{"DRAFT", "AWAITING_ACCEPTANCE", "ACCEPTED", "ANSWERED", "CLOSED"}
)

func progressOf(state string) int {
	for i, s := range states {
		if s == state {
			return i
		}
	}
	return -1
}

// lifecycle is one request as its back offices know it.
type lifecycle struct {
	subject string
	id      string
	// acked is how many steps the API said succeeded: 5 means closed.
	acked int
	// refused says why the client gave up, when it had to.
	refused string
}

// backOffices are the careful officials who drive lifecycles: each retries
// what failed, with the same Idempotency-Key, until told it succeeded, and
// looks for a draft whose creation it was not told of before creating
// another.
type backOffices struct {
	api   *load.API
	pairs []load.Pair
	// questions per area, answered "yes".
	questions map[string][]string
	seed      uint64

	stopNew atomic.Bool
	// sendsInFlight counts sends waiting for their answer.
	sendsInFlight atomic.Int64

	mu         sync.Mutex
	lifecycles []*lifecycle
	// progressed holds when each workflow action (send to close) was
	// answered with success: recoveries are read from it.
	progressed []time.Time
	// wake is closed and replaced at every success.
	wake chan struct{}
	// actions are the workflow actions that succeeded, by official.
	actions []action

	retries int
	// adopted counts drafts created by a call whose answer was lost, found
	// by their subject rather than created twice.
	adopted int
	// doneDespiteConflict counts retries answered 409 although the first
	// call had taken effect (the state showed it).
	doneDespiteConflict int
}

func newBackOffices(api *load.API, pairs []load.Pair, questions map[string][]string, seed uint64) *backOffices {
	return &backOffices{api: api, pairs: pairs, questions: questions, seed: seed, wake: make(chan struct{})}
}

// run drives lifecycles one after another for official n until told to
// start no new one; the one under way is carried to its end or until ctx
// ends.
func (b *backOffices) run(ctx context.Context, n int) {
	p := b.pairs[n%len(b.pairs)]
	rng := rand.New(rand.NewPCG(b.seed, uint64(n)))
	for i := 0; !b.stopNew.Load() && ctx.Err() == nil; i++ {
		lc := &lifecycle{subject: fmt.Sprintf("Fault run %d: official %d, request %d", b.seed, n, i)}
		b.mu.Lock()
		b.lifecycles = append(b.lifecycles, lc)
		b.mu.Unlock()
		b.drive(ctx, n, p, lc, rng)
		if lc.refused != "" {
			return
		}
	}
}

// action is a workflow action that succeeded: begun when the official
// first called, done when told it succeeded.
type action struct {
	official    int
	step        string
	calls       int
	answers     []string
	begun, done time.Time
}

// runOne drives a single lifecycle for official n, whose number sets its
// subject and its own randomness apart from the running officials'.
func (b *backOffices) runOne(ctx context.Context, n int) {
	p := b.pairs[n%len(b.pairs)]
	lc := &lifecycle{subject: fmt.Sprintf("Fault run %d: official %d, request 0", b.seed, n)}
	b.mu.Lock()
	b.lifecycles = append(b.lifecycles, lc)
	b.mu.Unlock()
	b.drive(ctx, n, p, lc, rand.New(rand.NewPCG(b.seed, uint64(n))))
}

type requestView struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// drive carries one request from its draft to its closure.
func (b *backOffices) drive(ctx context.Context, official int, p load.Pair, lc *lifecycle, rng *rand.Rand) {
	questions := b.questions[p.Area]
	answers := make([]map[string]string, 0, len(questions))
	for _, q := range questions {
		answers = append(answers, map[string]string{"question": q, "value": "yes"})
	}
	for step := range steps {
		// Officials think between actions; the faults land among them.
		if !sleep(ctx, time.Duration(50+rng.IntN(200))*time.Millisecond) {
			return
		}
		key := uuid.NewString()
		begun := time.Now()
		call := func() error {
			path := "/api/v1/requests/" + lc.id + "/" + steps[step]
			switch steps[step] {
			case "draft":
				var r requestView
				err := b.api.CallWithKey(ctx, "draft", http.MethodPost, "/api/v1/requests", p.Requester.Token, key, map[string]any{
					"area": p.Area, "responding_authority": p.Responder.Authority,
					"subject": lc.subject, "subject_lang": "en", "questions": questions,
					"free_text": "Is this service provider lawfully established?", "free_text_lang": "en",
					"personal_data": map[string]string{"name": "Jan Kowalski"},
					"needed_by":     time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02"),
				}, http.StatusCreated, &r)
				lc.id = r.ID
				return err
			case "send":
				b.sendsInFlight.Add(1)
				defer b.sendsInFlight.Add(-1)
				return b.api.CallWithKey(ctx, "send", http.MethodPost, path, p.Requester.Token, key, nil, http.StatusOK, nil)
			case "accept":
				return b.api.CallWithKey(ctx, "accept", http.MethodPost, path, p.Responder.Token, key, nil, http.StatusOK, nil)
			case "answer":
				return b.api.CallWithKey(ctx, "answer", http.MethodPost, path, p.Responder.Token, key,
					map[string]any{"answers": answers}, http.StatusOK, nil)
			default:
				return b.api.CallWithKey(ctx, "close", http.MethodPost, path, p.Requester.Token, key,
					map[string]int{"timeliness_rating": 5, "effort_rating": 4}, http.StatusOK, nil)
			}
		}
		calls := 0
		var answers []string
		counted := func() error {
			calls++
			err := call()
			var se *load.StatusError
			switch {
			case err == nil:
				answers = append(answers, "ok")
			case errors.As(err, &se):
				answers = append(answers, strconv.Itoa(se.Status))
			default:
				answers = append(answers, "no answer")
			}
			return err
		}
		if !b.retry(ctx, p, lc, step, counted) {
			return
		}
		b.mu.Lock()
		lc.acked = step + 1
		if step > 0 {
			b.actions = append(b.actions, action{official: official, step: steps[step], calls: calls, answers: answers, begun: begun, done: time.Now()})
			b.progressed = append(b.progressed, time.Now())
			close(b.wake)
			b.wake = make(chan struct{})
		}
		b.mu.Unlock()
	}
}

// retry calls until the API says the step succeeded, or the state shows it
// did, or the API refuses it for good (a 4xx other than 409 and 429), or
// ctx ends. It reports whether the step is done.
func (b *backOffices) retry(ctx context.Context, p load.Pair, lc *lifecycle, step int, call func() error) bool {
	pause := 100 * time.Millisecond
	for {
		err := call()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		var se *load.StatusError
		if errors.As(err, &se) && se.Status < 500 && se.Status != http.StatusConflict && se.Status != http.StatusTooManyRequests {
			lc.refused = err.Error()
			return false
		}
		switch {
		case step == 0:
			// The draft may exist although the answer was lost: a careful
			// official looks before creating a second one.
			if id := b.findDraft(ctx, p, lc.subject); id != "" {
				lc.id = id
				b.mu.Lock()
				b.adopted++
				b.mu.Unlock()
				return true
			}
		case errors.As(err, &se) && se.Status == http.StatusConflict:
			if r, ok := b.request(ctx, p, lc.id); ok && progressOf(r.State) >= step {
				b.mu.Lock()
				b.doneDespiteConflict++
				b.mu.Unlock()
				return true
			}
		}
		b.mu.Lock()
		b.retries++
		b.mu.Unlock()
		if !sleep(ctx, pause) {
			return false
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// findDraft looks for the requester's draft with the subject.
func (b *backOffices) findDraft(ctx context.Context, p load.Pair, subject string) string {
	var list struct {
		Items []struct {
			ID      string `json:"id"`
			Subject string `json:"subject"`
		} `json:"items"`
	}
	err := b.api.Call(ctx, "drafts", http.MethodGet, "/api/v1/requests?box=outgoing&state=DRAFT&page_size=100",
		p.Requester.Token, nil, http.StatusOK, &list)
	if err != nil {
		return ""
	}
	for _, it := range list.Items {
		if it.Subject == subject {
			return it.ID
		}
	}
	return ""
}

func (b *backOffices) request(ctx context.Context, p load.Pair, id string) (requestView, bool) {
	var r requestView
	err := b.api.Call(ctx, "read", http.MethodGet, "/api/v1/requests/"+id, p.Requester.Token, nil, http.StatusOK, &r)
	return r, err == nil
}

// progressSince waits until a workflow action succeeds after since, for at
// most bound, and says how long after since it did.
func (b *backOffices) progressSince(ctx context.Context, since time.Time, bound time.Duration) (time.Duration, bool) {
	deadline := time.NewTimer(bound)
	defer deadline.Stop()
	for {
		b.mu.Lock()
		for i := len(b.progressed) - 1; i >= 0 && b.progressed[i].After(since); i-- {
			if i == 0 || !b.progressed[i-1].After(since) {
				at := b.progressed[i]
				b.mu.Unlock()
				return at.Sub(since), true
			}
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-deadline.C:
			return 0, false
		case <-ctx.Done():
			return 0, false
		}
	}
}

// allClear says how long after since every official who went on working
// had an action begun after since succeed: the time until no one waits any
// more on what the fault left in flight.
func (b *backOffices) allClear(since time.Time) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	first := map[int]time.Time{}
	for _, a := range b.actions {
		if a.begun.Before(since) {
			continue
		}
		if f, ok := first[a.official]; !ok || a.done.Before(f) {
			first[a.official] = a.done
		}
	}
	var longest time.Duration
	for _, done := range first {
		longest = max(longest, done.Sub(since))
	}
	return longest
}

// slowest is the workflow action that took longest from its first call to
// its success.
func (b *backOffices) slowest() action {
	b.mu.Lock()
	defer b.mu.Unlock()
	var worst action
	for _, a := range b.actions {
		if a.done.Sub(a.begun) > worst.done.Sub(worst.begun) {
			worst = a
		}
	}
	return worst
}

// snapshot copies the lifecycles and figures.
func (b *backOffices) snapshot() (lcs []lifecycle, retries, adopted, conflicts int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, lc := range b.lifecycles {
		lcs = append(lcs, *lc)
	}
	return lcs, b.retries, b.adopted, b.doneDespiteConflict
}

// sleep waits d unless ctx ends first, and says whether it did.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
