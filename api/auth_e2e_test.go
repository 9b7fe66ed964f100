package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

func TestLogin_WrongPasswordIs401AndTheRightOneGivesAWorkingToken(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})

	resp := sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": sys.HelpdeskEmail, "password": "wrong password!"})
	if resp.Status != http.StatusUnauthorized || resp.ErrorCode() != "invalid_credentials" {
		t.Fatalf("wrong password: %d %s, want 401 invalid_credentials", resp.Status, resp.Body)
	}
	resp = sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": "nobody@openimi.test", "password": "whatever it is"})
	if resp.Status != http.StatusUnauthorized || resp.ErrorCode() != "invalid_credentials" {
		t.Fatalf("unknown account: %d %s, want the same 401 as a wrong password", resp.Status, resp.Body)
	}

	token := sys.HelpdeskToken(t)
	me := sys.Do(t, http.MethodGet, "/api/v1/me", token, nil)
	if me.Status != http.StatusOK {
		t.Fatalf("GET /me: %d %s", me.Status, me.Body)
	}
	if m := me.Map(t); m["email"] != sys.HelpdeskEmail || m["helpdesk"] != true {
		t.Errorf("GET /me = %v, want the helpdesk account", m)
	}
	if resp := sys.Do(t, http.MethodGet, "/api/v1/me", "", nil); resp.Status != http.StatusUnauthorized {
		t.Errorf("GET /me without a token: %d, want 401", resp.Status)
	}
	if resp := sys.Do(t, http.MethodGet, "/api/v1/me", "forged-token", nil); resp.Status != http.StatusUnauthorized || resp.ErrorCode() != "invalid_token" {
		t.Errorf("GET /me with a forged token: %d %s, want 401 invalid_token", resp.Status, resp.Body)
	}
}

// from is a client whose connections come from the loopback address ip
// (127.0.0.2, ...): the API sees it as another client address, as it would
// an attacker's machine.
func from(ip string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
}

// postFrom posts body as JSON from the client at ip.
func postFrom(t *testing.T, sys *systemtest.System, ip, path string, body any) systemtest.Response {
	t.Helper()
	data, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	client := from(ip)
	defer client.CloseIdleConnections()
	resp, err := client.Post(sys.URL+path, "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatalf("POST %s from %s: %v", path, ip, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return systemtest.Response{Status: resp.StatusCode, Header: resp.Header, Body: out}
}

func login(email, pw string) map[string]string {
	return map[string]string{"email": email, "password": pw}
}

func TestLogin_GuessesFromOneAddressLockThatAddressOutButNotTheOfficial(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	const attacker, official = "127.0.0.2", "127.0.0.3"
	for i := range 5 {
		resp := postFrom(t, sys, attacker, "/api/v1/auth/login", login(sys.HelpdeskEmail, fmt.Sprintf("guess number %d", i)))
		if resp.Status != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d %s, want 401", i+1, resp.Status, resp.Body)
		}
	}
	// The guessing address is refused from now on, even with the right
	// password, so that guessing on tells it nothing.
	resp := postFrom(t, sys, attacker, "/api/v1/auth/login", login(sys.HelpdeskEmail, sys.HelpdeskPassword))
	if resp.Status != http.StatusTooManyRequests || resp.ErrorCode() != "too_many_attempts" {
		t.Fatalf("sixth attempt from the guessing address: %d %s, want 429 too_many_attempts", resp.Status, resp.Body)
	}
	if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra <= 0 {
		t.Errorf("429 with Retry-After %q, want a number of seconds", resp.Header.Get("Retry-After"))
	}
	// The official, from their own address, still signs in.
	resp = postFrom(t, sys, official, "/api/v1/auth/login", login(sys.HelpdeskEmail, sys.HelpdeskPassword))
	if resp.Status != http.StatusOK {
		t.Fatalf("the official from their own address: %d %s, want 200", resp.Status, resp.Body)
	}
	// The guessing address may still sign in to other accounts (its limit
	// is per account), until it fails too often overall.
	other := sys.NationalCoordinator(t, "AT")
	if resp := postFrom(t, sys, attacker, "/api/v1/auth/login", login(other.Email, systemtest.ActivePassword)); resp.Status != http.StatusOK {
		t.Errorf("the guessing address signing in to another account: %d %s, want 200", resp.Status, resp.Body)
	}
}

func TestLogin_GuessesFromManyAddressesLeaveTheOfficialsFamiliarAddressOpen(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	const office, elsewhere = "127.0.0.3", "127.0.2.1"
	// The official has signed in from the office before.
	if resp := postFrom(t, sys, office, "/api/v1/auth/login", login(sys.HelpdeskEmail, sys.HelpdeskPassword)); resp.Status != http.StatusOK {
		t.Fatalf("first sign-in: %d %s", resp.Status, resp.Body)
	}
	// One address hammering on long after its own lock is refused, but
	// does not make the account look attacked from everywhere.
	for i := range 15 {
		resp := postFrom(t, sys, "127.0.1.1", "/api/v1/auth/login", login(sys.HelpdeskEmail, fmt.Sprintf("guess %d", i)))
		want := http.StatusUnauthorized
		if i >= 5 {
			want = http.StatusTooManyRequests
		}
		if resp.Status != want {
			t.Fatalf("guess %d from one address: %d %s, want %d", i+1, resp.Status, resp.Body, want)
		}
	}
	if resp := postFrom(t, sys, elsewhere, "/api/v1/auth/login", login(sys.HelpdeskEmail, sys.HelpdeskPassword)); resp.Status != http.StatusOK {
		t.Fatalf("a new address after one address's guesses: %d %s, want 200", resp.Status, resp.Body)
	}
	// Guesses from nine more addresses, none of which meets its own limit:
	// ten addresses have guessed at the account.
	for a := 2; a <= 10; a++ {
		ip := fmt.Sprintf("127.0.1.%d", a)
		if resp := postFrom(t, sys, ip, "/api/v1/auth/login", login(sys.HelpdeskEmail, "a guess")); resp.Status != http.StatusUnauthorized {
			t.Fatalf("guess from %s: %d %s, want 401", ip, resp.Status, resp.Body)
		}
	}
	// A stranger's address is refused, right password or not...
	resp := postFrom(t, sys, "127.0.2.2", "/api/v1/auth/login", login(sys.HelpdeskEmail, sys.HelpdeskPassword))
	if resp.Status != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("a new address during the attack: %d %s, want 429 with Retry-After", resp.Status, resp.Body)
	}
	// ...the addresses the official signed in from are not.
	for _, ip := range []string{office, elsewhere} {
		if resp := postFrom(t, sys, ip, "/api/v1/auth/login", login(sys.HelpdeskEmail, sys.HelpdeskPassword)); resp.Status != http.StatusOK {
			t.Fatalf("the official's familiar address %s during the attack: %d %s, want 200", ip, resp.Status, resp.Body)
		}
	}
}

func TestLogin_TwentyFailuresFromOneAddressAreRefusedWith429(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	for i := range 20 {
		resp := sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": fmt.Sprintf("guess%d@openimi.test", i), "password": "some password"})
		if resp.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, resp.Status)
		}
	}
	resp := sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": sys.HelpdeskEmail, "password": sys.HelpdeskPassword})
	if resp.Status != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures from this address: %d, want 429", resp.Status)
	}
}

func TestToken_RevokedByLogoutAndExpiredAreRefused(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})

	token := sys.HelpdeskToken(t)
	if resp := sys.Do(t, http.MethodPost, "/api/v1/auth/logout", token, nil); resp.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", resp.Status, resp.Body)
	}
	if resp := sys.Do(t, http.MethodGet, "/api/v1/me", token, nil); resp.Status != http.StatusUnauthorized {
		t.Errorf("revoked token: %d, want 401", resp.Status)
	}

	token = sys.HelpdeskToken(t)
	if err := sys.Store.DB().Exec("UPDATE sessions SET expires_at = now() - interval '1 second' WHERE revoked_at IS NULL").Error; err != nil {
		t.Fatal(err)
	}
	if resp := sys.Do(t, http.MethodGet, "/api/v1/me", token, nil); resp.Status != http.StatusUnauthorized {
		t.Errorf("expired token: %d, want 401", resp.Status)
	}
}

func TestLogin_BadInputIs4xxWithAClearMessage(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	cases := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"not JSON", "{email:", http.StatusBadRequest, "invalid_json"},
		{"empty body", "", http.StatusBadRequest, "invalid_json"},
		{"unknown field", `{"email":"a@b.eu","password":"x","remember":true}`, http.StatusBadRequest, "invalid_json"},
		{"missing password", map[string]string{"email": "a@b.eu"}, http.StatusUnprocessableEntity, "validation_failed"},
		{"not an email", map[string]string{"email": "nope", "password": "x"}, http.StatusUnprocessableEntity, "validation_failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", tc.body)
			if resp.Status != tc.status || resp.ErrorCode() != tc.code {
				t.Errorf("%d %s, want %d %s", resp.Status, resp.Body, tc.status, tc.code)
			}
		})
	}
	var attempts int64
	if err := sys.Store.DB().Raw("SELECT count(*) FROM login_attempts").Scan(&attempts).Error; err != nil {
		t.Fatal(err)
	}
	if attempts != 0 {
		t.Errorf("%d login attempts recorded for requests refused before any check", attempts)
	}
}

func TestPasswordReset_ByEmailedLinkEndsEverySessionAndWorksOnce(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	official := sys.NationalCoordinator(t, "AT")
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/password-reset/request", "", map[string]string{"email": official.Email}); r.Status != http.StatusAccepted {
		t.Fatalf("request reset: %d %s", r.Status, r.Body)
	}
	msgs := sys.Mail.WaitForMessages(t, official.Email, 1, 30*time.Second)
	token := linkToken(t, msgs[0], "token")
	const newPassword = "a brand new passphrase"
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/password-reset", "", map[string]string{"token": token, "password": newPassword}); r.Status != http.StatusNoContent {
		t.Fatalf("reset: %d %s", r.Status, r.Body)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/me", official.Token, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("session from before the reset: %d, want 401", r.Status)
	}
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": official.Email, "password": systemtest.ActivePassword}); r.Status != http.StatusUnauthorized {
		t.Errorf("old password: %d, want 401", r.Status)
	}
	sys.Login(t, official.Email, newPassword)
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/password-reset", "", map[string]string{"token": token, "password": "yet another passphrase"}); r.Status != http.StatusGone {
		t.Errorf("reset link used twice: %d, want 410", r.Status)
	}

	// An expired link is refused like a used one.
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/password-reset/request", "", map[string]string{"email": official.Email}); r.Status != http.StatusAccepted {
		t.Fatalf("second reset request: %d", r.Status)
	}
	expired := linkToken(t, sys.Mail.WaitForMessages(t, official.Email, 2, 30*time.Second)[0], "token")
	if err := sys.Store.DB().Exec("UPDATE one_time_tokens SET expires_at = now() - interval '1 second'").Error; err != nil {
		t.Fatal(err)
	}
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/password-reset", "", map[string]string{"token": expired, "password": "yet another passphrase"}); r.Status != http.StatusGone {
		t.Errorf("expired reset link: %d, want 410", r.Status)
	}
}

func TestPasswordReset_RequestsAreLimitedPerAddressAndPerClientAlikeForKnownAndUnknownAddresses(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	official := sys.NationalCoordinator(t, "AT")
	const path = "/api/v1/auth/password-reset/request"

	for _, address := range []string{official.Email, "nobody-" + official.Email} {
		for i := range 3 {
			if r := postFrom(t, sys, fmt.Sprintf("127.0.3.%d", i+1), path, map[string]string{"email": address}); r.Status != http.StatusAccepted {
				t.Fatalf("reset %d for %s: %d %s, want 202", i+1, address, r.Status, r.Body)
			}
		}
		// A fourth for the same address, from yet another client, is
		// refused: the same answer whether the account exists or not.
		r := postFrom(t, sys, "127.0.3.9", path, map[string]string{"email": address})
		if r.Status != http.StatusTooManyRequests || r.ErrorCode() != "too_many_attempts" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("fourth reset for %s: %d %s, want 429 with Retry-After", address, r.Status, r.Body)
		}
	}
	// The official got three links, not more.
	sys.Mail.WaitForMessages(t, official.Email, 3, 30*time.Second)
	var outbox int64
	if err := sys.Store.DB().Raw("SELECT count(*) FROM mail_outbox WHERE template = 'password_reset'").Scan(&outbox).Error; err != nil {
		t.Fatal(err)
	}
	if outbox != 3 {
		t.Errorf("%d reset mails enqueued, want 3 (none for the unknown address, none beyond the limit)", outbox)
	}

	// One client asking about many addresses is refused after ten.
	const client = "127.0.4.1"
	for i := range 10 {
		if r := postFrom(t, sys, client, path, map[string]string{"email": fmt.Sprintf("someone-%d@example.eu", i)}); r.Status != http.StatusAccepted {
			t.Fatalf("reset %d from one client: %d %s, want 202", i+1, r.Status, r.Body)
		}
	}
	if r := postFrom(t, sys, client, path, map[string]string{"email": official.Email}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("eleventh reset from one client: %d %s, want 429", r.Status, r.Body)
	}
}

func TestLinks_MadeUpTokensAreRefusedAndThenLimitedPerClientWhileGoodOnesDoNotCount(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	lda := sys.Authority(t, "AT", "Wien", []models.AuthorityArea{{AreaCode: "services", Competences: []string{"retail"}}},
		[]models.UserRole{{Role: models.LocalDataAdministrator}})
	official := systemtest.UniqueEmail("official")
	if r := sys.Do(t, http.MethodPost, "/api/v1/authorities/"+lda.AuthorityID.String()+"/users", lda.Token,
		map[string]any{"email": official, "display_name": "Official", "language": "de"}); r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, r.Body)
	}
	activation := linkToken(t, sys.Mail.WaitForMessages(t, official, 1, 30*time.Second)[0], "token")

	const client = "127.0.5.1"
	madeUp := func(i int) systemtest.Response {
		path := "/api/v1/auth/activate"
		if i%2 == 1 {
			path = "/api/v1/auth/password-reset"
		}
		return postFrom(t, sys, client, path, map[string]string{"token": fmt.Sprintf("made-up-%d", i), "password": systemtest.ActivePassword})
	}
	for i := range 9 {
		if r := madeUp(i); r.Status != http.StatusGone || r.ErrorCode() != "link_invalid" {
			t.Fatalf("made-up token %d: %d %s, want 410 link_invalid", i+1, r.Status, r.Body)
		}
	}
	// A good link from the same address works and does not count.
	if r := postFrom(t, sys, client, "/api/v1/auth/activate", map[string]string{"token": activation, "password": systemtest.ActivePassword}); r.Status != http.StatusNoContent {
		t.Fatalf("a good activation link after nine bad ones: %d %s, want 204", r.Status, r.Body)
	}
	if r := madeUp(9); r.Status != http.StatusGone {
		t.Fatalf("tenth made-up token: %d %s, want 410", r.Status, r.Body)
	}
	r := madeUp(10)
	if r.Status != http.StatusTooManyRequests || r.Header.Get("Retry-After") == "" {
		t.Fatalf("eleventh made-up token from one client: %d %s, want 429 with Retry-After", r.Status, r.Body)
	}
	// Another client is not concerned.
	if r := postFrom(t, sys, "127.0.5.2", "/api/v1/auth/activate", map[string]string{"token": "made-up", "password": systemtest.ActivePassword}); r.Status != http.StatusGone {
		t.Errorf("a made-up token from another client: %d %s, want 410", r.Status, r.Body)
	}
}
