package mail

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/mail"
	"strings"
	"sync"
	"time"

	"github.com/jordan-wright/email"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openimi/openimi/models"
)

// Sender hands a composed mail to a relay. SMTPSender is the real one;
// tests use fakes. An error that is not a *DeliveryError counts as
// transient.
type Sender interface {
	Send(ctx context.Context, m *email.Email) error
}

// DispatcherOptions tune the dispatcher; zero values take the defaults.
type DispatcherOptions struct {
	// From is the sender of every mail (MAIL_FROM); its domain also names
	// the Message-IDs.
	From string
	// PublicURL is the base of the links in mails (PUBLIC_URL).
	PublicURL string
	// Concurrency is how many mails are sent at once (4); match it to the
	// sender's connections.
	Concurrency int
	// BatchSize is how many due mails one claim takes (8 × Concurrency).
	BatchSize int
	// PollInterval is how often the outbox is checked when idle (1s).
	PollInterval time.Duration
	// Lease is how long a claimed mail is reserved for this dispatcher
	// (30s). It is renewed every quarter of it while the batch is being
	// sent, so a dispatcher that dies holds its mails for no longer than
	// this; one that cannot renew stops handing the relay mails while half
	// of it remains.
	Lease time.Duration
	// MaxAttempts bounds the attempts at a mail that keeps failing
	// transiently (24); then it is marked failed.
	MaxAttempts int
	// RetryBase and RetryMax shape the backoff between attempts: doubling
	// from RetryBase (30s) up to RetryMax (1h), with jitter. With the
	// defaults a mail is given up after 9 to 17 hours of failures. While
	// the relay is down, only the mails in flight when that is found out
	// spend an attempt; the rest of the batch goes back untried.
	RetryBase time.Duration
	RetryMax  time.Duration

	Logger *slog.Logger
	// Registerer receives the mail metrics; nil keeps them private.
	Registerer prometheus.Registerer
}

func (o DispatcherOptions) withDefaults() DispatcherOptions {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 8 * o.Concurrency
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 24
	}
	if o.RetryBase <= 0 {
		o.RetryBase = 30 * time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = time.Hour
	}
	if o.RetryMax < o.RetryBase {
		o.RetryMax = o.RetryBase
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return o
}

// Dispatcher delivers the outbox: it claims due mails, renders them, sends
// them and records the outcome. Any number of dispatchers, in any number of
// processes, may run against one database: each mail is claimed by one at a
// time.
type Dispatcher struct {
	store     *models.Store
	templates *Templates
	sender    Sender
	opts      DispatcherOptions
	domain    string
	log       *slog.Logger
	metrics   *dispatchMetrics
}

// NewDispatcher checks the options and registers the metrics.
func NewDispatcher(store *models.Store, templates *Templates, sender Sender, opts DispatcherOptions) (*Dispatcher, error) {
	opts = opts.withDefaults()
	from, err := mail.ParseAddress(opts.From)
	if err != nil {
		return nil, fmt.Errorf("mail dispatcher: sender %q: %w", opts.From, err)
	}
	_, domain, _ := strings.Cut(from.Address, "@")
	if !strings.HasPrefix(opts.PublicURL, "http://") && !strings.HasPrefix(opts.PublicURL, "https://") {
		return nil, fmt.Errorf("mail dispatcher: public URL %q is not http(s)", opts.PublicURL)
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	reg := opts.Registerer
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	metrics, err := newDispatchMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("mail dispatcher: register metrics: %w", err)
	}
	return &Dispatcher{
		store:     store,
		templates: templates,
		sender:    sender,
		opts:      opts,
		domain:    domain,
		log:       opts.Logger.With("component", "mail"),
		metrics:   metrics,
	}, nil
}

// Run delivers due mails until ctx ends; the mails in flight then are sent
// and recorded before it returns, and those not yet begun go back to the
// outbox for the next dispatcher.
func (d *Dispatcher) Run(ctx context.Context) error {
	d.log.Info("mail dispatcher started", "poll", d.opts.PollInterval.String(), "concurrency", d.opts.Concurrency)
	pause := time.Duration(0)
	for {
		res, err := d.DispatchDue(ctx)
		switch {
		case ctx.Err() != nil:
			d.log.Info("mail dispatcher stopped")
			return nil
		case err != nil:
			d.log.Error("mail dispatch round failed", "err", err)
			pause = d.backoff(pause)
		case res.RelayDown:
			// Ask again later rather than at every poll: each round
			// would cost a connection attempt and nothing else.
			pause = d.backoff(pause)
		case res.Claimed == d.opts.BatchSize:
			// A backlog: take the next batch at once.
			pause = 0
			continue
		default:
			pause = 0
		}
		wait := d.opts.PollInterval
		if pause > wait {
			wait = pause
		}
		select {
		case <-ctx.Done():
			d.log.Info("mail dispatcher stopped")
			return nil
		case <-time.After(wait):
		}
	}
}

// backoff doubles the pause of a dispatcher whose relay or database fails,
// from the poll interval up to RetryBase.
func (d *Dispatcher) backoff(pause time.Duration) time.Duration {
	if pause == 0 {
		return d.opts.PollInterval
	}
	return min(2*pause, max(d.opts.RetryBase, d.opts.PollInterval))
}

// Round is what one DispatchDue did.
type Round struct {
	Claimed, Sent, Retried, Failed, Released int
	// Unsettled counts the mails whose outcome could not be recorded:
	// due again when their lease ends.
	Unsettled int
	// RelayDown is set when the relay could not be reached: the mails of
	// the round not yet tried went back to the outbox untouched.
	RelayDown bool
}

// DispatchDue claims one batch of due mails and delivers it. It stops
// handing the relay mails as soon as an outcome cannot be recorded, or the
// lease cannot be renewed, and returns that failure: a mail sent but not
// recorded goes out again after its lease, so sending on into a database
// outage would send each mail of the batch twice.
func (d *Dispatcher) DispatchDue(ctx context.Context) (Round, error) {
	// The lease is reckoned from before the claim: never later than the
	// database's own reckoning.
	claimedAt := time.Now()
	claimed, err := d.store.ClaimDueMail(ctx, d.opts.BatchSize, d.opts.Lease)
	if err != nil {
		return Round{}, err
	}
	round := Round{Claimed: len(claimed)}
	if len(claimed) == 0 {
		return round, nil
	}
	// Mails in flight finish, and every outcome is recorded, even when
	// ctx ends: an unrecorded send would be sent again after the lease.
	settleCtx := context.WithoutCancel(ctx)
	b := &batch{leaseUntil: claimedAt.Add(d.opts.Lease)}
	renewCtx, stopRenewing := context.WithCancel(settleCtx)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		d.renewLease(renewCtx, b, claimed)
	}()

	queue := make(chan models.OutboxMail)
	var mu sync.Mutex
	var unsent []models.OutboxMail
	var wg sync.WaitGroup
	for range min(d.opts.Concurrency, len(claimed)) {
		wg.Go(func() {
			for m := range queue {
				// Checked by each worker as it takes a mail, not only by
				// the loop feeding them: a mark that failed a moment ago
				// stops the very next send.
				if ctx.Err() != nil || !b.mayBegin(d.opts.Lease/2) {
					mu.Lock()
					unsent = append(unsent, m)
					mu.Unlock()
					continue
				}
				outcome := d.deliver(settleCtx, b, m)
				mu.Lock()
				switch outcome {
				case sent:
					round.Sent++
				case retried:
					round.Retried++
				case retriedRelayDown:
					round.Retried++
					b.setRelayDown()
				case failed:
					round.Failed++
				case unsettled:
					round.Unsettled++
				}
				mu.Unlock()
			}
		})
	}
	for i, m := range claimed {
		if ctx.Err() != nil || !b.mayBegin(d.opts.Lease/2) {
			mu.Lock()
			unsent = append(unsent, claimed[i:]...)
			mu.Unlock()
			break
		}
		queue <- m
	}
	close(queue)
	wg.Wait()
	stopRenewing()
	<-renewed
	round.RelayDown = b.isRelayDown()
	for _, m := range unsent {
		releaseCtx, cancel := context.WithTimeout(settleCtx, max(d.opts.Lease/4, time.Millisecond))
		err := d.store.ReleaseMail(releaseCtx, m)
		cancel()
		if err != nil {
			d.log.Warn("could not return an unsent mail to the outbox; it is due again when its lease ends", "outbox_id", m.ID, "err", err)
			continue
		}
		round.Released++
	}
	return round, b.failure()
}

// batch is what the workers sending one claimed batch share: how long the
// lease holds by this process's clock, and whether to stop.
type batch struct {
	mu         sync.Mutex
	leaseUntil time.Time
	relayDown  bool
	storeErr   error
}

// mayBegin reports whether another mail may be handed to the relay: the
// relay is up, every outcome so far was recorded, and more than margin of
// the lease remains, so that the mail's outcome can be recorded in time.
func (b *batch) mayBegin(margin time.Duration) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.storeErr == nil && time.Until(b.leaseUntil) <= margin {
		// The renewals neither succeed nor fail: the database hangs.
		b.storeErr = errors.New("the lease of the batch could not be renewed in time")
	}
	return !b.relayDown && b.storeErr == nil
}

func (b *batch) extend(until time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if until.After(b.leaseUntil) {
		b.leaseUntil = until
	}
}

func (b *batch) until() time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.leaseUntil
}

func (b *batch) stop(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.storeErr == nil {
		b.storeErr = err
	}
}

func (b *batch) failure() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.storeErr
}

func (b *batch) setRelayDown() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.relayDown = true
}

func (b *batch) isRelayDown() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.relayDown
}

// renewLease extends the batch's lease every quarter of it until ctx ends.
// A renewal that fails stops the batch (no more mails to the relay); the
// renewals go on, so that the outcomes still being recorded keep their
// rows once the database answers again.
func (d *Dispatcher) renewLease(ctx context.Context, b *batch, claimed []models.OutboxMail) {
	token := *claimed[0].ClaimToken
	ids := make([]int64, len(claimed))
	for i, m := range claimed {
		ids[i] = m.ID
	}
	tick := time.NewTicker(max(d.opts.Lease/4, time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		start := time.Now()
		attemptCtx, cancel := context.WithTimeout(ctx, max(d.opts.Lease/4, time.Millisecond))
		_, err := d.store.RenewMailLease(attemptCtx, token, ids, d.opts.Lease)
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			b.stop(err)
			d.log.Warn("could not renew the lease of a batch; no more of it is sent", "err", err)
			continue
		}
		b.extend(start.Add(d.opts.Lease))
	}
}

// settle records the outcome of a mail. A failure stops the batch: no
// mail goes to the relay while outcomes cannot be recorded. The record is
// tried again while the lease holds, so that a database outage shorter
// than the lease does not send the mail twice.
func (d *Dispatcher) settle(ctx context.Context, b *batch, record func(context.Context) error) error {
	pause := 50 * time.Millisecond
	for {
		attemptCtx, cancel := context.WithTimeout(ctx, max(d.opts.Lease/4, time.Millisecond))
		err := record(attemptCtx)
		cancel()
		if err == nil {
			return nil
		}
		b.stop(err)
		if errors.Is(err, models.ErrMailLeaseLost) || time.Until(b.until()) <= pause {
			return err
		}
		time.Sleep(pause)
		pause = min(2*pause, time.Second)
	}
}

type outcome int

const (
	sent outcome = iota
	retried
	retriedRelayDown
	failed
	unsettled
)

// deliver renders, sends and records one claimed mail. A sent mail is
// marked sent right after the relay's 250, to keep the window in which a
// crash sends it twice as narrow as the sender allows.
func (d *Dispatcher) deliver(ctx context.Context, b *batch, m models.OutboxMail) outcome {
	log := d.log.With("outbox_id", m.ID, "template", m.Template, "event", m.EventKey)
	if m.AuthorityID != nil {
		log = log.With("authority_id", m.AuthorityID.String())
	}
	msg, messageID, err := d.compose(m)
	if err != nil {
		if errors.Is(err, ErrUnknownKind) {
			// Enqueued by a newer release than this one: leave it to a
			// dispatcher that knows the kind.
			return d.retry(ctx, b, log, m, err, false)
		}
		return d.fail(ctx, b, log, m, err)
	}
	start := time.Now()
	err = d.sender.Send(ctx, msg)
	d.metrics.sendSeconds.Observe(time.Since(start).Seconds())
	if err == nil {
		if err := d.settle(ctx, b, func(ctx context.Context) error { return d.store.MarkMailSent(ctx, m, messageID) }); err != nil {
			// Sent, but not recorded: after the lease it may be sent
			// again, under the same Message-ID.
			log.Error("mail sent but not recorded", "err", err)
			return unsettled
		}
		d.metrics.sent.WithLabelValues(m.Template).Inc()
		log.Debug("mail sent", "message_id", messageID)
		return sent
	}
	var de *DeliveryError
	if errors.As(err, &de) && de.Permanent {
		return d.fail(ctx, b, log, m, err)
	}
	return d.retry(ctx, b, log, m, err, errors.As(err, &de) && de.RelayDown)
}

func (d *Dispatcher) retry(ctx context.Context, b *batch, log *slog.Logger, m models.OutboxMail, cause error, relayDown bool) outcome {
	if m.Attempts >= d.opts.MaxAttempts {
		return d.fail(ctx, b, log, m, fmt.Errorf("gave up after %d attempts: %w", m.Attempts, cause))
	}
	delay := d.retryDelay(m.Attempts)
	retryLater := func(ctx context.Context) error { return d.store.RetryMailLater(ctx, m, delay, truncate(cause.Error())) }
	if err := d.settle(ctx, b, retryLater); err != nil {
		log.Error("could not schedule a retry; the mail is due again when its lease ends", "err", err)
		return unsettled
	}
	d.metrics.retries.WithLabelValues(m.Template).Inc()
	log.Warn("mail not delivered, will retry", "attempt", m.Attempts, "retry_in", delay.Round(time.Millisecond).String(), "err", cause)
	if relayDown {
		return retriedRelayDown
	}
	return retried
}

func (d *Dispatcher) fail(ctx context.Context, b *batch, log *slog.Logger, m models.OutboxMail, cause error) outcome {
	markFailed := func(ctx context.Context) error { return d.store.MarkMailFailed(ctx, m, truncate(cause.Error())) }
	if err := d.settle(ctx, b, markFailed); err != nil {
		log.Error("could not record a failed mail; it is due again when its lease ends", "err", err)
		return unsettled
	}
	d.metrics.failed.WithLabelValues(m.Template).Inc()
	log.Warn("mail could not be delivered and is not retried", "attempt", m.Attempts, "err", cause)
	return failed
}

// retryDelay doubles with every attempt, up to RetryMax, and is spread by
// jitter so that mails failed together are not retried together.
func (d *Dispatcher) retryDelay(attempts int) time.Duration {
	delay := d.opts.RetryMax
	if shift := attempts - 1; shift < 30 {
		delay = min(d.opts.RetryBase<<max(shift, 0), d.opts.RetryMax)
	}
	half := delay / 2
	return half + rand.N(half+1)
}

// compose renders an outbox row into the mail to send.
func (d *Dispatcher) compose(m models.OutboxMail) (*email.Email, string, error) {
	data, err := decodeData(m.Data)
	if err != nil {
		return nil, "", err
	}
	r, err := d.templates.Render(Kind(m.Template), m.Language, data, d.opts.PublicURL+data[FieldPath])
	if err != nil {
		return nil, "", err
	}
	if r.FellBack {
		d.log.Info("no template in the recipient's language; English used", "outbox_id", m.ID, "template", m.Template, "language", m.Language)
	}
	e := email.NewEmail()
	e.From = d.opts.From
	e.To = []string{m.Recipient}
	e.Subject = r.Subject
	e.Text = []byte(r.Text)
	e.HTML = []byte(r.HTML)
	messageID := MessageID(m.EventKey, m.Recipient, d.domain)
	e.Headers.Set("Message-Id", messageID)
	if m.ThreadKey != "" {
		root := ThreadID(m.ThreadKey, d.domain)
		e.Headers.Set("In-Reply-To", root)
		e.Headers.Set("References", root)
	}
	// RFC 3834: out-of-office replies and other robots stay silent.
	e.Headers.Set("Auto-Submitted", "auto-generated")
	e.Headers.Set("X-Auto-Response-Suppress", "All")
	e.Headers.Set("Content-Language", r.Language)
	return e, messageID, nil
}

// MessageID is the Message-ID of the mail of an event to a recipient: the
// same at every attempt, so that a mail sent twice (a crash between sending
// and recording) is recognisably the same mail.
func MessageID(eventKey, recipient, domain string) string {
	sum := sha256.Sum256([]byte(eventKey + "\x00" + strings.ToLower(strings.TrimSpace(recipient))))
	return "<" + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// ThreadID is the Message-ID every mail of a thread refers to. No mail
// carries it; mail programs thread by the reference alone, as they do for
// the notifications of issue trackers.
func ThreadID(threadKey, domain string) string {
	sum := sha256.Sum256([]byte(threadKey))
	return "<thread." + hex.EncodeToString(sum[:16]) + "@" + domain + ">"
}

// truncate keeps a relay's error short enough to store and show.
func truncate(s string) string {
	const limit = 1000
	if len(s) <= limit {
		return s
	}
	return s[:limit] + "…"
}

type dispatchMetrics struct {
	sent, failed, retries *prometheus.CounterVec
	sendSeconds           prometheus.Histogram
}

func newDispatchMetrics(reg prometheus.Registerer) (*dispatchMetrics, error) {
	m := &dispatchMetrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "openimi", Name: "mail_sent_total",
			Help: "Mails handed to the relay, by template.",
		}, []string{"template"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "openimi", Name: "mail_failed_total",
			Help: "Mails given up on (refused by the relay, malformed address, or too many attempts), by template.",
		}, []string{"template"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "openimi", Name: "mail_retries_total",
			Help: "Failed attempts that will be retried, by template.",
		}, []string{"template"}),
		sendSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: "openimi", Name: "mail_send_duration_seconds",
			Help:    "Time to hand one mail to the relay, connecting included.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}),
	}
	for _, c := range []prometheus.Collector{m.sent, m.failed, m.retries, m.sendSeconds} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}
