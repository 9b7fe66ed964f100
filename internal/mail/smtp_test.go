package mail_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/jordan-wright/email"

	"github.com/openimi/openimi/internal/mail"
)

func TestParseSMTPURL_ReadsEachForm(t *testing.T) {
	cases := []struct {
		url  string
		want mail.SMTPConfig
	}{
		{"smtp://127.0.0.1:1025", mail.SMTPConfig{Host: "127.0.0.1", Port: 1025, StartTLS: mail.StartTLSOpportunistic, MaxConnections: 4, Timeout: 30 * time.Second}},
		{"smtp://relay.example.eu", mail.SMTPConfig{Host: "relay.example.eu", Port: 25, StartTLS: mail.StartTLSOpportunistic, MaxConnections: 4, Timeout: 30 * time.Second}},
		{"smtp://imi%40example.eu:s%3Acret@relay.example.eu:587?starttls=required&pool=8&timeout=10s&helo=imi.example.eu",
			mail.SMTPConfig{Host: "relay.example.eu", Port: 587, StartTLS: mail.StartTLSRequired, Username: "imi@example.eu", Password: "s:cret", HelloName: "imi.example.eu", MaxConnections: 8, Timeout: 10 * time.Second}},
		{"smtps://user:pw@relay.example.eu", mail.SMTPConfig{Host: "relay.example.eu", Port: 465, ImplicitTLS: true, StartTLS: mail.StartTLSOpportunistic, Username: "user", Password: "pw", MaxConnections: 4, Timeout: 30 * time.Second}},
		{"smtp://localhost:25?starttls=never", mail.SMTPConfig{Host: "localhost", Port: 25, StartTLS: mail.StartTLSNever, MaxConnections: 4, Timeout: 30 * time.Second}},
	}
	for _, c := range cases {
		got, err := mail.ParseSMTPURL(c.url)
		if err != nil {
			t.Errorf("%s: %v", c.url, err)
			continue
		}
		got.MaxIdle = 0
		if got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.url, got, c.want)
		}
	}
}

func TestParseSMTPURL_RefusesWhatItCannotHonour(t *testing.T) {
	for _, bad := range []string{
		"http://relay.example.eu",
		"smtp://",
		"smtp://relay.example.eu:99999",
		"smtp://relay.example.eu?starttls=maybe",
		"smtps://relay.example.eu?starttls=required",
		"smtp://relay.example.eu?pool=0",
		"smtp://relay.example.eu?timeout=soon",
		"smtp://relay.example.eu?tls=yes",
		"smtp://relay.example.eu/inbox",
	} {
		if _, err := mail.ParseSMTPURL(bad); err == nil {
			t.Errorf("%s was accepted", bad)
		}
	}
}

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "relay.test"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}

func testMail(to string) *email.Email {
	e := email.NewEmail()
	e.From = testFrom
	e.To = []string{to}
	e.Subject = "test"
	e.Text = []byte("hello")
	return e
}

func TestSMTPSender_RequiredStartTLSAndAuthReachTheRelayEncrypted(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	addr := freeAddress(t)
	r := newRelay(t, addr)
	r.startTLS(serverTLS, false)

	cfg, err := mail.ParseSMTPURL("smtp://imi:relay-secret@" + addr + "?starttls=required")
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS = &tls.Config{RootCAs: roots}
	s := mail.NewSMTPSender(cfg)
	defer s.Close()
	for range 3 {
		if err := s.Send(context.Background(), testMail("handler@example.test")); err != nil {
			t.Fatal(err)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.delivered["handler@example.test"] != 3 {
		t.Errorf("delivered %v, want 3 mails", r.delivered)
	}
	if slices.Contains(r.tlsSeen, false) || len(r.tlsSeen) != 3 {
		t.Errorf("TLS per mail: %v, want every mail encrypted", r.tlsSeen)
	}
	// The pool reuses its connection: three mails, one login.
	if !slices.Equal(r.users, []string{"imi"}) {
		t.Errorf("logins %v; want one connection logged in as imi", r.users)
	}
}

func TestSMTPSender_ImplicitTLS(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	addr := freeAddress(t)
	r := newRelay(t, addr)
	r.startTLS(serverTLS, true)

	cfg, err := mail.ParseSMTPURL("smtps://imi:relay-secret@" + addr)
	if err != nil {
		t.Fatal(err)
	}
	cfg.TLS = &tls.Config{RootCAs: roots}
	s := mail.NewSMTPSender(cfg)
	defer s.Close()
	if err := s.Send(context.Background(), testMail("handler@example.test")); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if !slices.Equal(r.tlsSeen, []bool{true}) || !slices.Equal(r.users, []string{"imi"}) {
		t.Errorf("TLS %v, logins %v; want one encrypted, authenticated mail", r.tlsSeen, r.users)
	}
}

func TestSMTPSender_RefusesToSendWhenRequiredTLSIsNotOffered(t *testing.T) {
	addr := freeAddress(t)
	r := newRelay(t, addr)
	r.start()
	s := smtpSender(t, "smtp://"+addr+"?starttls=required")
	err := s.Send(context.Background(), testMail("handler@example.test"))
	var de *mail.DeliveryError
	if !errors.As(err, &de) || !de.RelayDown || de.Permanent {
		t.Fatalf("err = %v, want the relay treated as unusable, transiently", err)
	}
	if got := r.deliveredTo(); len(got) != 0 {
		t.Errorf("delivered %v in clear text", got)
	}
}

func TestSMTPSender_NeverSendsThePasswordInClearTextOffTheMachine(t *testing.T) {
	// A relay that offers AUTH without TLS, at 127.0.0.2: loopback to the
	// kernel, but not the machine's own name to the sender, as a relay
	// across a network would be.
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("no 127.0.0.2 here: %v", err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	r := newRelay(t, addr)
	r.start()
	s := smtpSender(t, "smtp://imi:relay-secret@"+addr+"?starttls=never")
	err = s.Send(context.Background(), testMail("handler@example.test"))
	var de *mail.DeliveryError
	if !errors.As(err, &de) || !de.RelayDown {
		t.Fatalf("err = %v, want the session refused before any mail", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.users) != 0 || len(r.delivered) != 0 {
		t.Errorf("logins %v, deliveries %v: the password went out in clear text", r.users, r.delivered)
	}
}

func TestSMTPSender_ATimeoutBoundsARelayThatStopsAnswering(t *testing.T) {
	// A listener that accepts and never greets.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	s := smtpSender(t, "smtp://"+l.Addr().String()+"?timeout=300ms")
	start := time.Now()
	err = s.Send(context.Background(), testMail("handler@example.test"))
	var de *mail.DeliveryError
	if !errors.As(err, &de) || de.Permanent {
		t.Fatalf("err = %v, want a transient delivery error", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("gave up after %v, want about the 300ms timeout", d)
	}
}
