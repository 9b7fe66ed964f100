package config

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"
)

// pki is a throw-away certificate authority with a server and a client
// certificate, written as PEM files.
type pki struct {
	dir                      string
	caPath, certPath, keyPth string
	pool                     *x509.CertPool
	server                   tls.Certificate
}

func newPKI(t *testing.T) pki {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	issue := func(serial int64, name string, usage x509.ExtKeyUsage) ([]byte, *ecdsa.PrivateKey) {
		key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: name},
			DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage}}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		return der, key
	}
	write := func(name, kind string, der []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	p := pki{dir: dir, pool: x509.NewCertPool()}
	p.pool.AddCert(ca)
	p.caPath = write("ca.crt", "CERTIFICATE", caDER)
	clientDER, clientKey := issue(2, "openimi-worker", x509.ExtKeyUsageClientAuth)
	p.certPath = write("tls.crt", "CERTIFICATE", clientDER)
	keyDER, _ := x509.MarshalECPrivateKey(clientKey)
	p.keyPth = write("tls.key", "EC PRIVATE KEY", keyDER)
	serverDER, serverKey := issue(3, "temporal.example.org", x509.ExtKeyUsageServerAuth)
	p.server = tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}
	return p
}

func (p pki) env(address string) []string {
	return []string{
		"TEMPORAL_ADDRESS=" + address,
		"TEMPORAL_NAMESPACE=openimi.a1b2c",
		"TEMPORAL_API_KEY=cloud-api-key",
		"TEMPORAL_TLS_SERVER_CA_CERT_PATH=" + p.caPath,
		"TEMPORAL_TLS_CLIENT_CERT_PATH=" + p.certPath,
		"TEMPORAL_TLS_CLIENT_KEY_PATH=" + p.keyPth,
		"TEMPORAL_TLS_SERVER_NAME=temporal.example.org",
		"TEMPORAL_CONFIG_FILE=" + filepath.Join(p.dir, "absent.toml"),
	}
}

func TestTemporalClientOptions_CarryTLSAndTheAPIKeyFromTheVariables(t *testing.T) {
	p := newPKI(t)
	cfg, err := Load(p.env("openimi.a1b2c.tmprl.cloud:7233"))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cfg.TemporalClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.HostPort != "openimi.a1b2c.tmprl.cloud:7233" || opts.Namespace != "openimi.a1b2c" {
		t.Errorf("address %q namespace %q", opts.HostPort, opts.Namespace)
	}
	tlsCfg := opts.ConnectionOptions.TLS
	if tlsCfg == nil {
		t.Fatal("no TLS configuration although TEMPORAL_TLS_* are set")
	}
	if tlsCfg.ServerName != "temporal.example.org" || len(tlsCfg.Certificates) != 1 || tlsCfg.RootCAs == nil {
		t.Errorf("TLS: server name %q, %d client certificates, CA pool %v", tlsCfg.ServerName, len(tlsCfg.Certificates), tlsCfg.RootCAs != nil)
	}
	if opts.Credentials == nil {
		t.Error("no credentials although TEMPORAL_API_KEY is set")
	}
}

func TestTemporalClientOptions_AnAPIKeyAloneTurnsTLSOn(t *testing.T) {
	cfg, err := Load([]string{"TEMPORAL_ADDRESS=ns.acct.tmprl.cloud:7233", "TEMPORAL_API_KEY=k",
		"TEMPORAL_CONFIG_FILE=" + filepath.Join(t.TempDir(), "absent.toml")})
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cfg.TemporalClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	if opts.ConnectionOptions.TLS == nil || opts.Credentials == nil {
		t.Errorf("TLS %v, credentials %v: Temporal Cloud takes an API key over TLS only", opts.ConnectionOptions.TLS, opts.Credentials)
	}
}

func TestLoad_AMissingCertificateStopsWithALineNamingTheVariables(t *testing.T) {
	p := newPKI(t)
	env := append(p.env("temporal:7233"), "TEMPORAL_TLS_CLIENT_CERT_PATH="+filepath.Join(p.dir, "missing.crt"))
	_, err := Load(env)
	if err == nil || !strings.Contains(err.Error(), "TEMPORAL_TLS") || strings.Contains(err.Error(), "\n") {
		t.Errorf("Load = %v, want one line naming TEMPORAL_TLS_*", err)
	}
}

func TestLoad_TheProfileFileGivesTheAddressUnlessAVariableDoes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "temporal.toml")
	err := os.WriteFile(file, []byte("[profile.prod]\naddress = \"temporal.internal:7233\"\nnamespace = \"imi\"\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Load([]string{"TEMPORAL_CONFIG_FILE=" + file, "TEMPORAL_PROFILE=prod"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TemporalAddress != "temporal.internal:7233" || cfg.TemporalNamespace != "imi" || !cfg.Given("TEMPORAL_ADDRESS") {
		t.Errorf("address %q namespace %q given %v, want the profile's", cfg.TemporalAddress, cfg.TemporalNamespace, cfg.Given("TEMPORAL_ADDRESS"))
	}
	cfg, err = Load([]string{"TEMPORAL_CONFIG_FILE=" + file, "TEMPORAL_PROFILE=prod", "TEMPORAL_ADDRESS=other:7233"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TemporalAddress != "other:7233" {
		t.Errorf("address %q, want the variable's over the profile's", cfg.TemporalAddress)
	}
}

// The options dial a frontend that demands a client certificate: the
// handshake succeeds with the CA, server name and certificate of the
// variables, and the API key arrives as the authorization header.
func TestTemporalClientOptions_DialAMutualTLSFrontendWithTheAPIKey(t *testing.T) {
	p := newPKI(t)
	type seen struct {
		clientCN, authorization string
	}
	calls := make(chan seen, 8)
	srv := grpc.NewServer(
		grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{p.server},
			ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.pool})),
		grpc.UnknownServiceHandler(func(_ any, stream grpc.ServerStream) error {
			var s seen
			if pr, ok := peer.FromContext(stream.Context()); ok {
				if info, ok := pr.AuthInfo.(credentials.TLSInfo); ok && len(info.State.PeerCertificates) > 0 {
					s.clientCN = info.State.PeerCertificates[0].Subject.CommonName
				}
			}
			if md, ok := metadata.FromIncomingContext(stream.Context()); ok {
				s.authorization = strings.Join(md.Get("authorization"), ",")
			}
			calls <- s
			return status.Error(codes.PermissionDenied, "test frontend")
		}),
	)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	defer srv.Stop()

	cfg, err := Load(p.env(l.Addr().String()))
	if err != nil {
		t.Fatal(err)
	}
	opts, err := cfg.TemporalClientOptions()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, opts)
	if err == nil {
		c.Close()
		t.Fatal("dial succeeded against a frontend that refuses every call")
	}
	select {
	case s := <-calls:
		if s.clientCN != "openimi-worker" {
			t.Errorf("the frontend saw client certificate %q, want openimi-worker", s.clientCN)
		}
		if s.authorization != "Bearer cloud-api-key" {
			t.Errorf("authorization header %q, want the API key as a bearer token", s.authorization)
		}
	default:
		t.Fatalf("no call reached the frontend over TLS: %v", err)
	}
}
