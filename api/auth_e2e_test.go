package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

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

func TestLogin_FiveFailuresLockTheAccountWith429EvenForTheRightPassword(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	for i := range 5 {
		resp := sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": sys.HelpdeskEmail, "password": fmt.Sprintf("guess number %d", i)})
		if resp.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d, want 401", i+1, resp.Status)
		}
	}
	resp := sys.Do(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": sys.HelpdeskEmail, "password": sys.HelpdeskPassword})
	if resp.Status != http.StatusTooManyRequests || resp.ErrorCode() != "too_many_attempts" {
		t.Fatalf("sixth attempt: %d %s, want 429", resp.Status, resp.Body)
	}
	if resp.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
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
