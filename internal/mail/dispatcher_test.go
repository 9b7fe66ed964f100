package mail_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func requestNotification(kind mail.Kind, event string, deadline time.Time) mail.Notification {
	return mail.Notification{
		Kind:     kind,
		EventKey: event,
		Data: mail.Data{
			Reference:           "IMI-2026-000042",
			RequestingAuthority: "Ordre des architectes de Lyon",
			RespondingAuthority: "Architektenkammer Berlin",
			Deadline:            deadline,
			Path:                "/requests/0b7e2c",
		},
	}
}

func TestDispatcher_DeliversAMailOnceWithThreadingHeadersInTheRecipientsLanguage(t *testing.T) {
	store := models.NewStore(testenv.Database(t))
	pit := newMailpit(t)
	reg := prometheus.NewRegistry()
	opts := fastOptions()
	opts.Registerer = reg
	d := newDispatcher(t, store, smtpSender(t, testenv.Mailpit(t).SMTPURL), opts)

	handler := uniqueAddress(t, "handler")
	deadline := time.Date(2026, time.March, 12, 0, 0, 0, 0, time.UTC)
	enqueue(t, store, requestNotification(mail.RequestAccepted, "request/0b7e2c/accepted", deadline),
		mail.Recipient{Address: handler, Language: "de"})
	enqueue(t, store, requestNotification(mail.RequestAnswered, "request/0b7e2c/answered", time.Time{}),
		mail.Recipient{Address: handler, Language: "de"})
	run(t, d)

	eventually(t, 20*time.Second, "both mails recorded as sent", func() bool {
		return countByStatus(t, store)[models.MailSent] == 2
	})
	got := pit.to(handler)
	if len(got) != 2 {
		t.Fatalf("%d mails reached %s, want 2", len(got), handler)
	}
	rows := outbox(t, store)
	thread := mail.ThreadID("IMI-2026-000042", testDomain)
	for _, row := range rows {
		wantID := mail.MessageID(row.EventKey, handler, testDomain)
		if row.MessageID != wantID || row.SentAt == nil || row.Attempts != 1 {
			t.Errorf("row %s: message id %q, sent at %v, attempts %d; want %q, set, 1", row.EventKey, row.MessageID, row.SentAt, row.Attempts, wantID)
		}
	}
	bySubject := map[string]mailpitSummary{}
	for _, s := range got {
		bySubject[s.Subject] = s
	}
	accepted, ok := bySubject["[IMI-2026-000042] Ihr Ersuchen wurde angenommen"]
	if !ok {
		t.Fatalf("no German acceptance mail among %v", bySubject)
	}
	h := pit.headers(accepted.ID)
	want := map[string]string{
		"Message-Id":       mail.MessageID("request/0b7e2c/accepted", handler, testDomain),
		"In-Reply-To":      thread,
		"References":       thread,
		"Auto-Submitted":   "auto-generated",
		"Content-Language": "de",
	}
	for name, value := range want {
		if v := h[name]; len(v) != 1 || v[0] != value {
			t.Errorf("header %s = %q, want %q", name, v, value)
		}
	}
	if ct := strings.Join(h["Content-Type"], ""); !strings.HasPrefix(ct, "multipart/alternative") {
		t.Errorf("Content-Type %q, want multipart/alternative", ct)
	}
	msg := pit.message(accepted.ID)
	link := testPublicURL + "/requests/0b7e2c"
	if !strings.Contains(msg.Text, "Die Antwort wird bis zum 12. März 2026 erwartet.") || !strings.Contains(msg.Text, link) {
		t.Errorf("text part:\n%s", msg.Text)
	}
	if !strings.Contains(msg.HTML, `href="`+link+`"`) || !strings.Contains(msg.HTML, `lang="de"`) {
		t.Errorf("HTML part lacks the link or the language:\n%s", msg.HTML)
	}
	answered := bySubject["[IMI-2026-000042] Ihr Ersuchen wurde beantwortet"]
	if h := pit.headers(answered.ID); strings.Join(h["References"], "") != thread {
		t.Errorf("the answer's References %q, want the acceptance's thread %q", h["References"], thread)
	}
	if n := counterValue(t, reg, "openimi_mail_sent_total", "request_accepted"); n != 1 {
		t.Errorf("openimi_mail_sent_total{template=request_accepted} = %v, want 1", n)
	}
}

func TestDispatcher_SameEventAndRecipientEnqueuedTwiceIsDeliveredOnce(t *testing.T) {
	store := models.NewStore(testenv.Database(t))
	pit := newMailpit(t)
	d := newDispatcher(t, store, smtpSender(t, testenv.Mailpit(t).SMTPURL), fastOptions())
	handler := uniqueAddress(t, "handler")
	n := requestNotification(mail.RequestReceived, "request/0b7e2c/sent", time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))

	enqueue(t, store, n, mail.Recipient{Address: handler, Language: "fr"})
	enqueue(t, store, n, mail.Recipient{Address: strings.ToUpper(handler), Language: "fr"})
	ctx := context.Background()
	for !settled(t, store) {
		if _, err := d.DispatchDue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	// The activity is retried long after the mail went out.
	enqueue(t, store, n, mail.Recipient{Address: handler, Language: "fr"})
	if r, err := d.DispatchDue(ctx); err != nil || r.Claimed != 0 {
		t.Fatalf("round after re-enqueuing: %+v, %v; want nothing to do", r, err)
	}
	eventually(t, 10*time.Second, "the mail reached Mailpit", func() bool { return len(pit.to(handler)) > 0 })
	if got := pit.to(handler); len(got) != 1 {
		t.Errorf("%d mails reached %s, want 1", len(got), handler)
	}
}

func TestDispatcher_RelayDownForAWhileThenUpDeliversEveryMailExactlyOnce(t *testing.T) {
	store := models.NewStore(testenv.Database(t))
	addr := freeAddress(t)
	r := newRelay(t, addr)
	r.setRefusing(true)
	r.start()

	var recipients []string
	for i := range 10 {
		recipients = append(recipients, fmt.Sprintf("official%d@example.test", i))
	}
	for e := range 3 {
		var to []mail.Recipient
		for _, a := range recipients {
			to = append(to, mail.Recipient{Address: a, Language: "it"})
		}
		enqueue(t, store, requestNotification(mail.RequestClosed, fmt.Sprintf("request/%d/closed", e), time.Time{}), to...)
	}
	opts := fastOptions()
	opts.MaxAttempts = 1000 // the outage must not exhaust them
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	d := newDispatcher(t, store, smtpSender(t, "smtp://"+addr+"?timeout=2s"), opts)
	run(t, d)

	// First the relay answers 421 to every session...
	eventually(t, 10*time.Second, "the dispatcher tried the refusing relay several times", func() bool { return r.sessionCount() >= 3 })
	// ...then it is not there at all...
	r.stop()
	before := counterValue(t, reg, "openimi_mail_retries_total", "request_closed")
	eventually(t, 10*time.Second, "the dispatcher retried against the closed port", func() bool {
		return counterValue(t, reg, "openimi_mail_retries_total", "request_closed") >= before+3
	})
	if c := countByStatus(t, store); c[models.MailSent] != 0 || c[models.MailFailed] != 0 {
		t.Fatalf("while the relay was down: %v, want all still pending", c)
	}
	// ...and then it is back.
	r.setRefusing(false)
	r.start()
	eventually(t, 30*time.Second, "every mail sent after the relay came back", func() bool {
		return countByStatus(t, store)[models.MailSent] == 30
	})
	delivered := r.deliveredTo()
	for _, a := range recipients {
		if delivered[a] != 3 {
			t.Errorf("%s received %d mails, want 3", a, delivered[a])
		}
	}
	if len(delivered) != len(recipients) {
		t.Errorf("mail reached %d addresses, want %d", len(delivered), len(recipients))
	}
}

func TestDispatcher_RefusedAndMalformedAddressesFailAtOnceWithoutHarmingOthers(t *testing.T) {
	store := models.NewStore(testenv.Database(t))
	addr := freeAddress(t)
	r := newRelay(t, addr)
	r.reject("gone@example.test")
	r.start()
	reg := prometheus.NewRegistry()
	opts := fastOptions()
	opts.Registerer = reg
	d := newDispatcher(t, store, smtpSender(t, "smtp://"+addr), opts)

	authority := uuid.New()
	enqueue(t, store, requestNotification(mail.RequestWithdrawn, "request/0b7e2c/withdrawn", time.Time{}),
		mail.Recipient{Address: "handler@example.test", Language: "es", AuthorityID: &authority},
		mail.Recipient{Address: "gone@example.test", Language: "es", AuthorityID: &authority},
		mail.Recipient{Address: "not an address", Language: "es", AuthorityID: &authority},
		mail.Recipient{Address: "mailbox@example.test", Language: "es", AuthorityID: &authority},
	)
	run(t, d)
	eventually(t, 20*time.Second, "every mail settled", func() bool { return settled(t, store) })

	byRecipient := map[string]models.OutboxMail{}
	for _, row := range outbox(t, store) {
		byRecipient[row.Recipient] = row
	}
	for _, ok := range []string{"handler@example.test", "mailbox@example.test"} {
		if byRecipient[ok].Status != models.MailSent {
			t.Errorf("%s: %s (%s), want sent", ok, byRecipient[ok].Status, byRecipient[ok].LastError)
		}
	}
	gone := byRecipient["gone@example.test"]
	if gone.Status != models.MailFailed || gone.Attempts != 1 || !strings.Contains(gone.LastError, "550") {
		t.Errorf("refused recipient: %s after %d attempts, error %q; want failed at the first, with the 550", gone.Status, gone.Attempts, gone.LastError)
	}
	bad := byRecipient["not an address"]
	if bad.Status != models.MailFailed || bad.Attempts != 1 || !strings.Contains(bad.LastError, "malformed") {
		t.Errorf("malformed address: %s after %d attempts, error %q; want failed at the first", bad.Status, bad.Attempts, bad.LastError)
	}
	if n := r.rcptAttempts("gone@example.test"); n != 1 {
		t.Errorf("the relay was asked %d times for the refused recipient, want once", n)
	}
	if got := r.deliveredTo(); got["handler@example.test"] != 1 || got["mailbox@example.test"] != 1 {
		t.Errorf("delivered %v, want one mail each to the handler and the mailbox", got)
	}
	failedList, total, err := store.FailedMail(context.Background(), authority, models.MailPage{})
	if err != nil || total != 2 || len(failedList) != 2 {
		t.Errorf("the authority's failed deliveries: %d of %d (%v), want both", len(failedList), total, err)
	}
	if n := counterValue(t, reg, "openimi_mail_failed_total", "request_withdrawn"); n != 2 {
		t.Errorf("openimi_mail_failed_total = %v, want 2", n)
	}
}

func TestDispatcher_TwoWorkerProcessesSendEachMailExactlyOnce(t *testing.T) {
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	pit := newMailpit(t)
	var stores []*models.Store
	for range 2 {
		db, err := models.Open(ctx, url, testenv.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = models.Close(db) })
		stores = append(stores, models.NewStore(db))
	}
	var recipients []mail.Recipient
	for range 8 {
		recipients = append(recipients, mail.Recipient{Address: uniqueAddress(t, "official"), Language: "pl"})
	}
	const events = 10
	for e := range events {
		enqueue(t, stores[0], requestNotification(mail.ReplyReminder, fmt.Sprintf("request/%d/reminder", e), time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)), recipients...)
	}
	for _, s := range stores {
		opts := fastOptions()
		opts.BatchSize = 5 // many small claims, so that the two interleave
		run(t, newDispatcher(t, s, smtpSender(t, testenv.Mailpit(t).SMTPURL), opts))
	}
	eventually(t, 60*time.Second, "every mail sent", func() bool {
		return countByStatus(t, stores[0])[models.MailSent] == events*len(recipients)
	})
	for _, r := range recipients {
		if got := pit.to(r.Address); len(got) != events {
			t.Errorf("%s received %d mails, want %d", r.Address, len(got), events)
		}
	}
}

func TestDispatcher_StoppingLetsTheMailInFlightFinish(t *testing.T) {
	store := models.NewStore(testenv.Database(t))
	addr := freeAddress(t)
	r := newRelay(t, addr)
	r.holdData = make(chan struct{})
	r.inData = make(chan struct{}, 10)
	r.start()
	opts := fastOptions()
	opts.Concurrency = 1
	d := newDispatcher(t, store, smtpSender(t, "smtp://"+addr), opts)
	enqueue(t, store, requestNotification(mail.RequestClosed, "request/1/closed", time.Time{}),
		mail.Recipient{Address: "first@example.test"}, mail.Recipient{Address: "second@example.test"})

	stop := run(t, d)
	select {
	case <-r.inData:
	case <-time.After(10 * time.Second):
		t.Fatal("no mail reached DATA")
	}
	stopped := make(chan struct{})
	go func() { stop(); close(stopped) }()
	// The worker is draining; the relay now accepts the mail in flight.
	time.AfterFunc(200*time.Millisecond, func() { close(r.holdData) })
	select {
	case <-stopped:
	case <-time.After(20 * time.Second):
		t.Fatal("the dispatcher did not stop")
	}
	c := countByStatus(t, store)
	if c[models.MailSent] != 1 || c[models.MailPending] != 1 || c[models.MailSending] != 0 {
		t.Errorf("after stopping: %v; want the mail in flight sent and the other back in the outbox", c)
	}
	if got := r.deliveredTo(); len(got) != 1 {
		t.Errorf("delivered %v, want exactly the mail in flight", got)
	}
}

// counterValue reads a counter of the dispatcher's by name and template.
func counterValue(t *testing.T, reg *prometheus.Registry, name, template string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var value float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "template" && l.GetValue() == template {
					value = m.GetCounter().GetValue()
				}
			}
		}
	}
	return value
}
