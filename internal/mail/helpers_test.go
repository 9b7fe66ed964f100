package mail_test

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

const (
	testFrom      = "OpenIMI <no-reply@openimi.test>"
	testDomain    = "openimi.test"
	testPublicURL = "https://imi.example.eu"
)

// uniqueAddress gives each test its own recipients: Mailpit is shared by
// every test package running at the same time.
func uniqueAddress(t *testing.T, name string) string {
	t.Helper()
	return fmt.Sprintf("%s-%s@example.test", name, strings.ToLower(rand.Text()[:10]))
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func enqueue(t *testing.T, store *models.Store, n mail.Notification, to ...mail.Recipient) {
	t.Helper()
	rows, err := n.Outbox(to...)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.DB().Transaction(func(tx *gorm.DB) error { return models.EnqueueMail(tx, rows...) }); err != nil {
		t.Fatal(err)
	}
}

func countByStatus(t *testing.T, store *models.Store) map[models.MailStatus]int {
	t.Helper()
	var rows []struct {
		Status models.MailStatus
		N      int
	}
	if err := store.DB().Raw("SELECT status, count(*) AS n FROM mail_outbox GROUP BY status").Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := map[models.MailStatus]int{}
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out
}

// settled reports whether no mail is waiting or in flight.
func settled(t *testing.T, store *models.Store) bool {
	c := countByStatus(t, store)
	return c[models.MailPending] == 0 && c[models.MailSending] == 0
}

func outbox(t *testing.T, store *models.Store) []models.OutboxMail {
	t.Helper()
	var rows []models.OutboxMail
	if err := store.DB().Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

// fastOptions retry within milliseconds, so failure tests take seconds.
func fastOptions() mail.DispatcherOptions {
	return mail.DispatcherOptions{
		From:         testFrom,
		PublicURL:    testPublicURL,
		PollInterval: 20 * time.Millisecond,
		RetryBase:    20 * time.Millisecond,
		RetryMax:     200 * time.Millisecond,
		Concurrency:  4,
	}
}

func newDispatcher(t *testing.T, store *models.Store, sender mail.Sender, opts mail.DispatcherOptions) *mail.Dispatcher {
	t.Helper()
	tpl, err := mail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	if opts.Logger == nil {
		opts.Logger = testenv.Logger(t)
	}
	d, err := mail.NewDispatcher(store, tpl, sender, opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// run starts the dispatcher; it is stopped, and must have returned, when
// the test ends.
func run(t *testing.T, d *mail.Dispatcher) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("dispatcher: %v", err)
				}
			case <-time.After(30 * time.Second):
				t.Error("dispatcher did not stop within 30s")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func smtpSender(t *testing.T, rawURL string) *mail.SMTPSender {
	t.Helper()
	cfg, err := mail.ParseSMTPURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	s := mail.NewSMTPSender(cfg)
	t.Cleanup(s.Close)
	return s
}

// mailpit reads what reached the shared Mailpit.
type mailpit struct {
	t   *testing.T
	api string
}

type mailpitSummary struct {
	ID        string
	MessageID string
	Subject   string
	To        []struct{ Address string }
}

type mailpitMessage struct {
	ID      string
	Subject string
	Text    string
	HTML    string
	To      []struct{ Address string }
}

func newMailpit(t *testing.T) mailpit {
	return mailpit{t: t, api: testenv.Mailpit(t).APIURL}
}

func (m mailpit) get(path string, into any) {
	m.t.Helper()
	resp, err := http.Get(m.api + path)
	if err != nil {
		m.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		m.t.Fatalf("GET %s: %s %s", path, resp.Status, b)
	}
	if err := json.NewDecoder(resp.Body).Decode(into); err != nil {
		m.t.Fatalf("GET %s: %v", path, err)
	}
}

// to lists the messages whose recipient is exactly address.
func (m mailpit) to(address string) []mailpitSummary {
	m.t.Helper()
	var res struct{ Messages []mailpitSummary }
	m.get("/api/v1/search?limit=1000&query="+url.QueryEscape("to:"+address), &res)
	var out []mailpitSummary
	for _, s := range res.Messages {
		for _, to := range s.To {
			if strings.EqualFold(to.Address, address) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func (m mailpit) message(id string) mailpitMessage {
	m.t.Helper()
	var msg mailpitMessage
	m.get("/api/v1/message/"+id, &msg)
	return msg
}

func (m mailpit) headers(id string) map[string][]string {
	m.t.Helper()
	var h map[string][]string
	m.get("/api/v1/message/"+id+"/headers", &h)
	return h
}

// relay is an SMTP server in the test process whose behaviour the test
// controls: it answers 421 to every session while refusing, rejects
// chosen recipients with 550, and counts what it accepts per recipient.
type relay struct {
	t      *testing.T
	addr   string
	server *smtp.Server

	mu        sync.Mutex
	refusing  bool
	rejected  map[string]bool
	delivered map[string]int
	rcptTries map[string]int
	sessions  int
	users     []string
	tlsSeen   []bool
	// holdData, when set, makes DATA wait until it is closed, and
	// inData is signalled when a DATA begins.
	holdData chan struct{}
	inData   chan struct{}
}

// freeAddress finds a port nobody listens on, for a relay that is down.
func freeAddress(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

func newRelay(t *testing.T, addr string) *relay {
	return &relay{t: t, addr: addr, rejected: map[string]bool{}, delivered: map[string]int{}, rcptTries: map[string]int{}}
}

// start listens at the relay's address in clear text.
func (r *relay) start() { r.startTLS(nil, false) }

// startTLS listens offering STARTTLS with cfg, or, when implicit, speaking
// TLS from the first byte.
func (r *relay) startTLS(cfg *tls.Config, implicit bool) {
	r.t.Helper()
	s := smtp.NewServer(smtp.BackendFunc(r.newSession))
	s.Domain = "relay.test"
	s.AllowInsecureAuth = cfg == nil
	s.ReadTimeout = 10 * time.Second
	s.WriteTimeout = 10 * time.Second
	s.TLSConfig = cfg
	var l net.Listener
	var err error
	// The port was just freed, or held by the relay's previous run.
	eventually(r.t, 5*time.Second, "listen at "+r.addr, func() bool {
		l, err = net.Listen("tcp", r.addr)
		return err == nil
	})
	if implicit {
		l = tls.NewListener(l, cfg)
	}
	r.server = s
	go func() { _ = s.Serve(l) }()
	r.t.Cleanup(r.stop)
}

func (r *relay) stop() {
	if r.server != nil {
		_ = r.server.Close()
		r.server = nil
	}
}

func (r *relay) setRefusing(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.refusing = v
}

func (r *relay) reject(address string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rejected[address] = true
}

func (r *relay) deliveredTo() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := map[string]int{}
	for k, v := range r.delivered {
		out[k] = v
	}
	return out
}

func (r *relay) rcptAttempts(address string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rcptTries[address]
}

func (r *relay) sessionCount() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.sessions
}

func (r *relay) newSession(c *smtp.Conn) (smtp.Session, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sessions++
	if r.refusing {
		return nil, &smtp.SMTPError{Code: 421, EnhancedCode: smtp.EnhancedCode{4, 3, 2}, Message: "Service not available, try again later"}
	}
	return &relaySession{relay: r, conn: c}, nil
}

type relaySession struct {
	relay *relay
	conn  *smtp.Conn
	to    []string
}

func (s *relaySession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *relaySession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, username, password string) error {
		if password != "relay-secret" {
			return smtp.ErrAuthFailed
		}
		s.relay.mu.Lock()
		defer s.relay.mu.Unlock()
		s.relay.users = append(s.relay.users, username)
		return nil
	}), nil
}

func (s *relaySession) Reset()        { s.to = nil }
func (s *relaySession) Logout() error { return nil }

// Mail records whether the mail came over TLS: by now any STARTTLS is done.
func (s *relaySession) Mail(string, *smtp.MailOptions) error {
	_, isTLS := s.conn.TLSConnectionState()
	s.relay.mu.Lock()
	defer s.relay.mu.Unlock()
	s.relay.tlsSeen = append(s.relay.tlsSeen, isTLS)
	return nil
}

func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error {
	r := s.relay
	r.mu.Lock()
	defer r.mu.Unlock()
	r.rcptTries[to]++
	if r.rejected[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such user here"}
	}
	s.to = append(s.to, to)
	return nil
}

func (s *relaySession) Data(body io.Reader) error {
	r := s.relay
	r.mu.Lock()
	hold, in := r.holdData, r.inData
	r.mu.Unlock()
	if in != nil {
		in <- struct{}{}
	}
	if hold != nil {
		<-hold
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, to := range s.to {
		r.delivered[to]++
	}
	return nil
}
