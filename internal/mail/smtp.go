package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jordan-wright/email"
)

// StartTLS says whether a connection to an smtp:// relay is upgraded to TLS.
type StartTLS string

// The STARTTLS policies of an smtp:// relay.
const (
	// StartTLSOpportunistic upgrades when the relay offers it, verifying
	// its certificate, and goes on in clear text when it does not.
	StartTLSOpportunistic StartTLS = "opportunistic"
	// StartTLSRequired refuses to send unless the upgrade succeeds: for
	// any relay reached across a network.
	StartTLSRequired StartTLS = "required"
	// StartTLSNever stays in clear text, for a relay on the same host.
	StartTLSNever StartTLS = "never"
)

// SMTPConfig says how to reach the mail relay. ParseSMTPURL reads it from
// SMTP_URL.
type SMTPConfig struct {
	Host string
	Port int
	// ImplicitTLS is smtps://: TLS from the first byte.
	ImplicitTLS bool
	StartTLS    StartTLS
	// Username and Password, when set, authenticate with AUTH PLAIN or
	// LOGIN, only over TLS or to a relay on the loopback interface.
	Username string
	Password string
	// HelloName is the name given in EHLO; the machine's host name by
	// default.
	HelloName string
	// MaxConnections bounds the open connections to the relay.
	MaxConnections int
	// Timeout bounds connecting, and each exchange with the relay.
	Timeout time.Duration
	// MaxIdle is how long an unused connection is kept for reuse; relays
	// close idle connections after a minute or more, so it stays below.
	MaxIdle time.Duration
	// TLS overrides the TLS settings (the system's roots, ServerName
	// Host); tests use it to trust their own relay's certificate.
	TLS *tls.Config
}

// Address is the relay's host:port.
func (c SMTPConfig) Address() string { return net.JoinHostPort(c.Host, strconv.Itoa(c.Port)) }

// ParseSMTPURL reads the relay's settings from a URL:
//
//	smtp://host[:port][?starttls=opportunistic|required|never]   port 25 by default
//	smtps://host[:port]                                           implicit TLS, port 465 by default
//
// with user:password@ before the host for AUTH (percent-encoded), and the
// options helo=name, pool=N (connections, 4) and timeout=duration (30s).
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPConfig{}, fmt.Errorf("not a URL: %w", err)
	}
	cfg := SMTPConfig{
		Host:           u.Hostname(),
		StartTLS:       StartTLSOpportunistic,
		MaxConnections: 4,
		Timeout:        30 * time.Second,
		MaxIdle:        30 * time.Second,
	}
	switch u.Scheme {
	case "smtp":
		cfg.Port = 25
	case "smtps":
		cfg.Port = 465
		cfg.ImplicitTLS = true
	default:
		return SMTPConfig{}, fmt.Errorf("scheme %q: use smtp:// or smtps://", u.Scheme)
	}
	if cfg.Host == "" {
		return SMTPConfig{}, errors.New("no host")
	}
	if p := u.Port(); p != "" {
		if cfg.Port, err = strconv.Atoi(p); err != nil || cfg.Port < 1 || cfg.Port > 65535 {
			return SMTPConfig{}, fmt.Errorf("port %q is not a TCP port", p)
		}
	}
	if u.User != nil {
		cfg.Username = u.User.Username()
		cfg.Password, _ = u.User.Password()
	}
	if u.Path != "" && u.Path != "/" {
		return SMTPConfig{}, fmt.Errorf("unexpected path %q", u.Path)
	}
	for key, values := range u.Query() {
		v := values[len(values)-1]
		switch key {
		case "starttls":
			switch StartTLS(v) {
			case StartTLSOpportunistic, StartTLSRequired, StartTLSNever:
				cfg.StartTLS = StartTLS(v)
			default:
				return SMTPConfig{}, fmt.Errorf("starttls=%q: use opportunistic, required or never", v)
			}
			if cfg.ImplicitTLS {
				return SMTPConfig{}, errors.New("starttls does not apply to smtps://, which is TLS from the start")
			}
		case "helo":
			cfg.HelloName = v
		case "pool":
			if cfg.MaxConnections, err = strconv.Atoi(v); err != nil || cfg.MaxConnections < 1 || cfg.MaxConnections > 100 {
				return SMTPConfig{}, fmt.Errorf("pool=%q: a number of connections from 1 to 100", v)
			}
		case "timeout":
			if cfg.Timeout, err = time.ParseDuration(v); err != nil || cfg.Timeout <= 0 {
				return SMTPConfig{}, fmt.Errorf("timeout=%q: a positive duration such as 30s", v)
			}
		default:
			return SMTPConfig{}, fmt.Errorf("unknown option %q", key)
		}
	}
	return cfg, nil
}

// DeliveryError is a failed attempt to hand a mail to the relay, saying
// whether trying again can help.
type DeliveryError struct {
	Err error
	// Permanent failures are refusals of this mail or its recipient (a 5xx
	// reply to RCPT or DATA, a malformed address): retrying cannot help.
	Permanent bool
	// RelayDown is set when no session with the relay could be had, so no
	// mail was tried; every other mail would fail the same way now.
	RelayDown bool
}

func (e *DeliveryError) Error() string { return e.Err.Error() }
func (e *DeliveryError) Unwrap() error { return e.Err }

// ErrSenderClosed is returned by Send after Close.
var ErrSenderClosed = errors.New("mail sender closed")

// SMTPSender delivers mail to the relay over a small pool of connections,
// each reused for many mails. It is safe for concurrent use.
//
// Not jordan-wright/email's Pool: that dials with no timeout, cannot hold a
// deadline on a relay that stops answering mid-conversation, speaks no
// implicit TLS, cannot insist on STARTTLS and may block forever in Close;
// here every exchange has a deadline. The message itself is composed by
// jordan-wright/email.
type SMTPSender struct {
	cfg SMTPConfig
	// idle holds connections ready for the next mail; slots holds a token
	// for every open connection, bounding them.
	idle      chan *relayConn
	slots     chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

// NewSMTPSender returns a sender; it connects when the first mail is sent.
func NewSMTPSender(cfg SMTPConfig) *SMTPSender {
	if cfg.MaxConnections < 1 {
		cfg.MaxConnections = 1
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxIdle <= 0 {
		cfg.MaxIdle = 30 * time.Second
	}
	if cfg.StartTLS == "" {
		cfg.StartTLS = StartTLSOpportunistic
	}
	if cfg.HelloName == "" {
		if h, err := os.Hostname(); err == nil && h != "" {
			cfg.HelloName = h
		} else {
			cfg.HelloName = "localhost"
		}
	}
	return &SMTPSender{
		cfg:    cfg,
		idle:   make(chan *relayConn, cfg.MaxConnections),
		slots:  make(chan struct{}, cfg.MaxConnections),
		closed: make(chan struct{}),
	}
}

// MaxConnections is how many mails the sender can have in flight at once.
func (s *SMTPSender) MaxConnections() int { return s.cfg.MaxConnections }

type relayConn struct {
	conn     net.Conn
	client   *smtp.Client
	lastUsed time.Time
}

// Send hands one mail to the relay. Its errors are *DeliveryError.
func (s *SMTPSender) Send(ctx context.Context, m *email.Email) error {
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return &DeliveryError{Err: fmt.Errorf("sender address %q: %w", m.From, err), Permanent: true}
	}
	var rcpts []string
	for _, to := range m.To {
		a, err := mail.ParseAddress(to)
		if err != nil {
			return &DeliveryError{Err: fmt.Errorf("malformed recipient address: %w", err), Permanent: true}
		}
		rcpts = append(rcpts, a.Address)
	}
	if len(rcpts) == 0 {
		return &DeliveryError{Err: errors.New("no recipient"), Permanent: true}
	}
	msg, err := m.Bytes()
	if err != nil {
		return &DeliveryError{Err: fmt.Errorf("compose message: %w", err), Permanent: true}
	}
	// A pooled connection the relay has closed meanwhile fails at the
	// first command, before any mail was handed over: then, and only
	// then, one fresh connection is tried at once.
	for try := 0; ; try++ {
		rc, reused, err := s.acquire(ctx)
		if err != nil {
			return &DeliveryError{Err: err, RelayDown: true}
		}
		stage, err := s.transact(ctx, rc, from.Address, rcpts, msg)
		if err == nil {
			s.release(rc)
			return nil
		}
		var reply *textproto.Error
		isReply := errors.As(err, &reply)
		if isReply && rc.reset(s.cfg.Timeout) == nil {
			s.release(rc)
		} else {
			s.discard(rc)
		}
		if !isReply && reused && stage == "MAIL" && try == 0 {
			continue
		}
		return classify(stage, err)
	}
}

// classify decides what a failed transaction means for the mail.
func classify(stage string, err error) *DeliveryError {
	err = fmt.Errorf("%s: %w", stage, err)
	var reply *textproto.Error
	if !errors.As(err, &reply) {
		// Connection lost, timeout: the relay may be back in a moment.
		return &DeliveryError{Err: err}
	}
	switch {
	case reply.Code >= 500 && (stage == "RCPT" || stage == "DATA"):
		// The relay refuses this recipient or this message.
		return &DeliveryError{Err: err, Permanent: true}
	default:
		// 4xx is "try again later". A 5xx to MAIL refuses our sender
		// address, an operator's error that every mail would share:
		// retried, up to the dispatcher's bound, until it is fixed.
		return &DeliveryError{Err: err}
	}
}

// transact sends one mail on an open connection, reporting the SMTP stage
// that failed.
func (s *SMTPSender) transact(ctx context.Context, rc *relayConn, from string, rcpts []string, msg []byte) (string, error) {
	deadline := time.Now().Add(s.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := rc.conn.SetDeadline(deadline); err != nil {
		return "MAIL", err
	}
	// Cancelling ctx ends the exchange at once, by moving its deadline.
	stop := context.AfterFunc(ctx, func() { _ = rc.conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if err := rc.client.Mail(from); err != nil {
		return "MAIL", err
	}
	for _, r := range rcpts {
		if err := rc.client.Rcpt(r); err != nil {
			return "RCPT", err
		}
	}
	w, err := rc.client.Data()
	if err != nil {
		return "DATA", err
	}
	if _, err := w.Write(msg); err != nil {
		_ = w.Close()
		return "DATA", err
	}
	if err := w.Close(); err != nil {
		return "DATA", err
	}
	return "", nil
}

// acquire returns an idle connection, or opens one when fewer than
// MaxConnections are open, or waits for one to come back.
func (s *SMTPSender) acquire(ctx context.Context) (*relayConn, bool, error) {
	for {
		select {
		case <-s.closed:
			return nil, false, ErrSenderClosed
		default:
		}
		select {
		case rc := <-s.idle:
			if time.Since(rc.lastUsed) > s.cfg.MaxIdle {
				s.discard(rc)
				continue
			}
			return rc, true, nil
		default:
		}
		select {
		case rc := <-s.idle:
			if time.Since(rc.lastUsed) > s.cfg.MaxIdle {
				s.discard(rc)
				continue
			}
			return rc, true, nil
		case s.slots <- struct{}{}:
			rc, err := s.dial(ctx)
			if err != nil {
				<-s.slots
				return nil, false, err
			}
			return rc, false, nil
		case <-ctx.Done():
			return nil, false, ctx.Err()
		case <-s.closed:
			return nil, false, ErrSenderClosed
		}
	}
}

func (s *SMTPSender) release(rc *relayConn) {
	rc.lastUsed = time.Now()
	select {
	case <-s.closed:
		s.discard(rc)
		return
	default:
	}
	// idle has room for every open connection, so this never blocks.
	s.idle <- rc
}

func (s *SMTPSender) discard(rc *relayConn) {
	rc.quit()
	<-s.slots
}

// dial opens a session ready for mail: connected, greeted, EHLO said, TLS
// and AUTH as configured.
func (s *SMTPSender) dial(ctx context.Context) (*relayConn, error) {
	addr := s.cfg.Address()
	tlsConfig := s.tlsConfig()
	dialer := &net.Dialer{Timeout: s.cfg.Timeout}
	var conn net.Conn
	var err error
	if s.cfg.ImplicitTLS {
		conn, err = (&tls.Dialer{NetDialer: dialer, Config: tlsConfig}).DialContext(ctx, "tcp", addr)
	} else {
		conn, err = dialer.DialContext(ctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("connect to mail relay %s: %w", addr, err)
	}
	if err := conn.SetDeadline(time.Now().Add(s.cfg.Timeout)); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("connect to mail relay %s: %w", addr, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	fail := func(step string, err error) (*relayConn, error) {
		_ = conn.Close()
		return nil, fmt.Errorf("mail relay %s: %s: %w", addr, step, err)
	}
	client, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return fail("greeting", err)
	}
	if err := client.Hello(s.cfg.HelloName); err != nil {
		return fail("EHLO", err)
	}
	if !s.cfg.ImplicitTLS && s.cfg.StartTLS != StartTLSNever {
		offered, _ := client.Extension("STARTTLS")
		switch {
		case offered:
			if err := client.StartTLS(tlsConfig); err != nil {
				return fail("STARTTLS", err)
			}
		case s.cfg.StartTLS == StartTLSRequired:
			return fail("STARTTLS", errors.New("the relay does not offer STARTTLS, which SMTP_URL requires"))
		}
	}
	if s.cfg.Username != "" {
		auth, err := s.auth(client)
		if err != nil {
			return fail("AUTH", err)
		}
		if err := client.Auth(auth); err != nil {
			return fail("AUTH", err)
		}
	}
	return &relayConn{conn: conn, client: client}, nil
}

func (s *SMTPSender) tlsConfig() *tls.Config {
	if s.cfg.TLS != nil {
		c := s.cfg.TLS.Clone()
		if c.ServerName == "" {
			c.ServerName = s.cfg.Host
		}
		return c
	}
	return &tls.Config{ServerName: s.cfg.Host, MinVersion: tls.VersionTLS12}
}

// auth picks PLAIN, or LOGIN for relays (Exchange among them) that offer
// only that.
func (s *SMTPSender) auth(client *smtp.Client) (smtp.Auth, error) {
	ok, mechanisms := client.Extension("AUTH")
	if !ok {
		return nil, errors.New("SMTP_URL has credentials but the relay offers no AUTH")
	}
	offered := strings.Fields(strings.ToUpper(mechanisms))
	for _, m := range offered {
		if m == "PLAIN" {
			// net/smtp refuses to send the password in clear text to
			// anything but the loopback interface.
			return smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host), nil
		}
	}
	for _, m := range offered {
		if m == "LOGIN" {
			return &loginAuth{username: s.cfg.Username, password: s.cfg.Password, host: s.cfg.Host}, nil
		}
	}
	return nil, fmt.Errorf("the relay offers AUTH %s; PLAIN or LOGIN is needed", mechanisms)
}

// loginAuth is the LOGIN mechanism, with the same refusal as net/smtp's
// PLAIN to send a password in clear text off the machine.
type loginAuth struct{ username, password, host string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLoopback(server.Name) {
		return "", nil, errors.New("unencrypted connection: AUTH needs TLS (use smtps:// or ?starttls=required)")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(challenge []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(challenge))) {
	case "username:":
		return []byte(a.username), nil
	case "password:":
		return []byte(a.password), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", challenge)
}

// isLoopback is net/smtp's own test for PLAIN, so that both mechanisms
// draw the line at the same place.
func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

func (rc *relayConn) reset(timeout time.Duration) error {
	if err := rc.conn.SetDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	return rc.client.Reset()
}

// quit says goodbye politely but briefly; the connection closes either way.
func (rc *relayConn) quit() {
	_ = rc.conn.SetDeadline(time.Now().Add(2 * time.Second))
	_ = rc.client.Quit()
	_ = rc.conn.Close()
}

// Close ends the idle connections; connections in use end when their mail
// is sent. Send fails after Close.
func (s *SMTPSender) Close() {
	s.closeOnce.Do(func() { close(s.closed) })
	for {
		select {
		case rc := <-s.idle:
			s.discard(rc)
		default:
			return
		}
	}
}
