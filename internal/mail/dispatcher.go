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
	// (5m); it must exceed the longest send, or a slow send could be
	// repeated by another dispatcher.
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
		o.Lease = 5 * time.Minute
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
	// RelayDown is set when the relay could not be reached: the mails of
	// the round not yet tried went back to the outbox untouched.
	RelayDown bool
}

// DispatchDue claims one batch of due mails and delivers it.
func (d *Dispatcher) DispatchDue(ctx context.Context) (Round, error) {
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
	queue := make(chan models.OutboxMail)
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(d.opts.Concurrency, len(claimed)) {
		wg.Go(func() {
			for m := range queue {
				outcome := d.deliver(settleCtx, m)
				mu.Lock()
				switch outcome {
				case sent:
					round.Sent++
				case retried:
					round.Retried++
				case retriedRelayDown:
					round.Retried++
					round.RelayDown = true
				case failed:
					round.Failed++
				}
				mu.Unlock()
			}
		})
	}
	var unsent []models.OutboxMail
	for i, m := range claimed {
		mu.Lock()
		stop := round.RelayDown
		mu.Unlock()
		if stop || ctx.Err() != nil {
			unsent = claimed[i:]
			break
		}
		select {
		case queue <- m:
		case <-ctx.Done():
			unsent = claimed[i:]
		}
		if unsent != nil {
			break
		}
	}
	close(queue)
	wg.Wait()
	for _, m := range unsent {
		if err := d.store.ReleaseMail(settleCtx, m); err != nil {
			d.log.Warn("could not return an unsent mail to the outbox; it is due again when its lease ends", "outbox_id", m.ID, "err", err)
			continue
		}
		round.Released++
	}
	return round, nil
}

type outcome int

const (
	sent outcome = iota
	retried
	retriedRelayDown
	failed
	unsettled
)

// deliver renders, sends and records one claimed mail.
func (d *Dispatcher) deliver(ctx context.Context, m models.OutboxMail) outcome {
	log := d.log.With("outbox_id", m.ID, "template", m.Template, "event", m.EventKey)
	if m.AuthorityID != nil {
		log = log.With("authority_id", m.AuthorityID.String())
	}
	msg, messageID, err := d.compose(m)
	if err != nil {
		if errors.Is(err, ErrUnknownKind) {
			// Enqueued by a newer release than this one: leave it to a
			// dispatcher that knows the kind.
			return d.retry(ctx, log, m, err, false)
		}
		return d.fail(ctx, log, m, err)
	}
	start := time.Now()
	err = d.sender.Send(ctx, msg)
	d.metrics.sendSeconds.Observe(time.Since(start).Seconds())
	if err == nil {
		if err := d.store.MarkMailSent(ctx, m, messageID); err != nil {
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
		return d.fail(ctx, log, m, err)
	}
	return d.retry(ctx, log, m, err, errors.As(err, &de) && de.RelayDown)
}

func (d *Dispatcher) retry(ctx context.Context, log *slog.Logger, m models.OutboxMail, cause error, relayDown bool) outcome {
	if m.Attempts >= d.opts.MaxAttempts {
		return d.fail(ctx, log, m, fmt.Errorf("gave up after %d attempts: %w", m.Attempts, cause))
	}
	delay := d.retryDelay(m.Attempts)
	if err := d.store.RetryMailLater(ctx, m, delay, truncate(cause.Error())); err != nil {
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

func (d *Dispatcher) fail(ctx context.Context, log *slog.Logger, m models.OutboxMail, cause error) outcome {
	if err := d.store.MarkMailFailed(ctx, m, truncate(cause.Error())); err != nil {
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
