package mail_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jordan-wright/email"
	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

// openStore opens a pool of its own on the database at url, as another
// worker process would; extra is appended to the URL's query (for
// session settings such as lock_timeout).
func openStore(t *testing.T, url, extra string) (*models.Store, *gorm.DB) {
	t.Helper()
	if extra != "" {
		sep := "?"
		if strings.Contains(url, "?") {
			sep = "&"
		}
		url += sep + extra
	}
	db, err := models.Open(context.Background(), url, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	return models.NewStore(db), db
}

// afterSend calls then once, after the first mail its sender handed over
// was accepted: the moment a crash or an outage is most costly.
type afterSend struct {
	mail.Sender
	once sync.Once
	then func()
}

func (s *afterSend) Send(ctx context.Context, m *email.Email) error {
	err := s.Sender.Send(ctx, m)
	if err == nil {
		s.once.Do(s.then)
	}
	return err
}

func enqueueClosed(t *testing.T, store *models.Store, n int) []string {
	t.Helper()
	var to []mail.Recipient
	var addresses []string
	for i := range n {
		a := fmt.Sprintf("official%d@example.test", i)
		to = append(to, mail.Recipient{Address: a, Language: "en"})
		addresses = append(addresses, a)
	}
	enqueue(t, store, requestNotification(mail.RequestClosed, "request/7/closed", time.Time{}), to...)
	return addresses
}

func databaseNow(t *testing.T, store *models.Store) time.Time {
	t.Helper()
	var now time.Time
	if err := store.DB().Raw("SELECT now()").Scan(&now).Error; err != nil {
		t.Fatal(err)
	}
	return now
}

func TestDispatcher_KilledMidBatchLeavesItsMailsToAnotherWithinTheShortLease(t *testing.T) {
	url := testenv.DatabaseURL(t)
	store, _ := openStore(t, url, "")
	deadStore, deadDB := openStore(t, url, "")
	addresses := enqueueClosed(t, store, 6)

	// The first dispatcher's relay takes its first mail into DATA and
	// holds it there: the dispatcher is mid-batch when it dies.
	stuckAddr := freeAddress(t)
	stuck := newRelay(t, stuckAddr)
	stuck.holdData = make(chan struct{})
	stuck.inData = make(chan struct{}, 10)
	stuck.start()
	const lease = 2 * time.Second
	opts := fastOptions()
	opts.Concurrency = 1
	opts.Lease = lease
	stopDead := run(t, newDispatcher(t, deadStore, smtpSender(t, "smtp://"+stuckAddr), opts))
	// Before the dispatcher is awaited (cleanups run last first): the mail
	// it holds in DATA may then end, so that its goroutines return.
	t.Cleanup(func() { close(stuck.holdData) })
	select {
	case <-stuck.inData:
	case <-time.After(10 * time.Second):
		t.Fatal("the first dispatcher sent nothing")
	}
	// Killed: it can neither renew its lease, nor record, nor hand its
	// mails back; only the lease brings them back.
	sqlDB, err := deadDB.DB()
	if err != nil {
		t.Fatal(err)
	}
	_ = sqlDB.Close()
	killedAt := databaseNow(t, store)
	go stopDead()

	alive := newRelay(t, freeAddress(t))
	alive.start()
	run(t, newDispatcher(t, store, smtpSender(t, "smtp://"+alive.addr), opts))
	eventually(t, 20*time.Second, "every mail sent by the surviving dispatcher", func() bool {
		return countByStatus(t, store)[models.MailSent] == len(addresses)
	})
	delivered := alive.deliveredTo()
	for _, a := range addresses {
		if delivered[a] != 1 {
			t.Errorf("%s received %d mails from the survivor, want 1", a, delivered[a])
		}
	}
	// By the database's clock, the mails waited for the lease and a poll,
	// not minutes.
	var slowest float64
	err = store.DB().Raw("SELECT extract(epoch FROM max(sent_at) - ?) FROM mail_outbox", killedAt).Scan(&slowest).Error
	if err != nil {
		t.Fatal(err)
	}
	if slowest > (lease + 3*time.Second).Seconds() {
		t.Errorf("the last mail was sent %.1fs after the crash, want within the %v lease and a few polls", slowest, lease)
	}
}

func TestDispatcher_AMarkThatFailsStopsTheBatchAfterTheFirstMail(t *testing.T) {
	url := testenv.DatabaseURL(t)
	store, _ := openStore(t, url, "")
	dispatcherStore, dispatcherDB := openStore(t, url, "")
	enqueueClosed(t, store, 5)
	r := newRelay(t, freeAddress(t))
	r.start()
	opts := fastOptions()
	opts.Concurrency = 1
	opts.Lease = 2 * time.Second
	// The database goes away the moment the relay has accepted the first
	// mail: the dispatcher cannot record it, and must not send the others.
	sender := &afterSend{Sender: smtpSender(t, "smtp://"+r.addr), then: func() {
		if sqlDB, err := dispatcherDB.DB(); err == nil {
			_ = sqlDB.Close()
		}
	}}
	d := newDispatcher(t, dispatcherStore, sender, opts)
	round, err := d.DispatchDue(context.Background())
	if err == nil {
		t.Error("the round reports no failure although nothing could be recorded")
	}
	if round.Claimed != 5 || round.Sent != 0 || round.Unsettled != 1 {
		t.Errorf("round %+v, want 5 claimed, the first unsettled and no other tried", round)
	}
	if got := r.deliveredTo(); len(got) != 1 {
		t.Errorf("the relay received %v, want the first mail only", got)
	}
	if c := countByStatus(t, store); c[models.MailSending] != 5 {
		t.Errorf("outbox %v, want all 5 still claimed, due again when the lease ends", c)
	}
}

func TestDispatcher_AnOutageShorterThanTheLeaseSendsNoMailTwice(t *testing.T) {
	url := testenv.DatabaseURL(t)
	store, _ := openStore(t, url, "")
	// The dispatcher's statements give up on a lock after 100 ms, as they
	// would on a database that does not answer.
	dispatcherStore, _ := openStore(t, url, "lock_timeout=100")
	addresses := enqueueClosed(t, store, 5)
	r := newRelay(t, freeAddress(t))
	r.start()
	opts := fastOptions()
	opts.Concurrency = 1
	opts.Lease = 10 * time.Second

	// Right after the first mail is accepted, the outbox is locked for a
	// second: every write to it fails meanwhile.
	locked := make(chan struct{})
	unlock := make(chan struct{})
	outageOver := make(chan struct{})
	var deliveredDuringOutage map[string]int
	go func() {
		defer close(outageOver)
		<-locked
		err := store.DB().Transaction(func(tx *gorm.DB) error {
			if err := tx.Exec("LOCK TABLE mail_outbox IN EXCLUSIVE MODE").Error; err != nil {
				return err
			}
			unlock <- struct{}{}
			time.Sleep(time.Second) // the outage's length, not a synchronisation
			deliveredDuringOutage = r.deliveredTo()
			return nil
		})
		if err != nil {
			t.Errorf("lock the outbox: %v", err)
		}
	}()
	sender := &afterSend{Sender: smtpSender(t, "smtp://"+r.addr), then: func() {
		close(locked)
		<-unlock
	}}
	d := newDispatcher(t, dispatcherStore, sender, opts)
	round, err := d.DispatchDue(context.Background())
	<-outageOver
	if err == nil {
		t.Error("the round reports no failure although a mark failed")
	}
	if round.Sent != 1 || round.Released != 4 {
		t.Errorf("round %+v, want the first mail recorded once the outage ended and the 4 others handed back untried", round)
	}
	if len(deliveredDuringOutage) != 1 {
		t.Errorf("during the outage the relay received %v, want only the first mail", deliveredDuringOutage)
	}
	for !settled(t, store) {
		if _, err := d.DispatchDue(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	delivered := r.deliveredTo()
	for _, a := range addresses {
		if delivered[a] != 1 {
			t.Errorf("%s received %d mails, want exactly 1", a, delivered[a])
		}
	}
}

func TestDispatcher_ASendLongerThanTheLeaseKeepsItsMailByRenewingIt(t *testing.T) {
	url := testenv.DatabaseURL(t)
	store, _ := openStore(t, url, "")
	otherStore, _ := openStore(t, url, "")
	addresses := enqueueClosed(t, store, 1)
	slow := newRelay(t, freeAddress(t))
	slow.holdData = make(chan struct{})
	slow.inData = make(chan struct{}, 10)
	slow.start()
	opts := fastOptions()
	opts.Lease = 2 * time.Second
	run(t, newDispatcher(t, store, smtpSender(t, "smtp://"+slow.addr), opts))
	select {
	case <-slow.inData:
	case <-time.After(10 * time.Second):
		t.Fatal("nothing reached DATA")
	}
	// Another dispatcher polls all the while the relay holds the mail for
	// well over the lease: the renewals keep it from taking the mail.
	other := newRelay(t, freeAddress(t))
	other.start()
	run(t, newDispatcher(t, otherStore, smtpSender(t, "smtp://"+other.addr), opts))
	time.AfterFunc(2*opts.Lease, func() { close(slow.holdData) }) // how long the relay dawdles
	eventually(t, 20*time.Second, "the mail recorded as sent", func() bool {
		return countByStatus(t, store)[models.MailSent] == 1
	})
	if got := other.deliveredTo(); len(got) != 0 {
		t.Errorf("the other dispatcher sent %v while the first still held its lease", got)
	}
	if got := slow.deliveredTo(); got[addresses[0]] != 1 {
		t.Errorf("the slow relay received %v, want the mail once", got)
	}
	if rows := outbox(t, store); rows[0].Attempts != 1 {
		t.Errorf("%d attempts, want 1: the mail was never claimed again", rows[0].Attempts)
	}
}
