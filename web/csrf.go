package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
)

// CSRF protection (see docs/ARCHITECTURE.md, "Pages"): every form that
// changes something carries a token the server can recompute from a secret
// the browser holds in an HttpOnly cookie and another site can neither read
// nor set:
//   - signed in, that secret is the session token itself, so the form token
//     changes with each session and dies with it;
//   - signed out (sign-in, activation, password reset, registration), it is
//     a random value in a cookie of its own, set when the form is shown.
//
// The token is HMAC-SHA256(secret, "openimi-csrf"): no server key to share
// between API processes or to rotate, and nothing stored. Go's
// CrossOriginProtection (Sec-Fetch-Site / Origin) runs first as a second,
// independent check.

const (
	csrfField  = "csrf_token"
	csrfCookie = "openimi_csrf"
)

func csrfTokenFor(secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("openimi-csrf"))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// csrfSecret is the secret the request's forms are tied to: the session
// token when signed in, else the anonymous cookie's value ("" when the
// browser has none yet).
func (h *Handler) csrfSecret(r *http.Request) string {
	if c, err := r.Cookie(h.cookies.session); err == nil && c.Value != "" {
		return c.Value
	}
	if c, err := r.Cookie(h.cookies.csrf); err == nil && c.Value != "" {
		return c.Value
	}
	return ""
}

// csrfToken returns the token for the page's forms, first giving a signed-out
// browser its secret cookie when it has none.
func (h *Handler) csrfToken(w http.ResponseWriter, r *http.Request) string {
	secret := h.csrfSecret(r)
	if secret == "" {
		secret = rand.Text()
		http.SetCookie(w, h.cookie(h.cookies.csrf, secret, 0))
	}
	return csrfTokenFor(secret)
}

// validCSRF checks a posted form's token against the browser's secret.
func (h *Handler) validCSRF(r *http.Request) bool {
	secret := h.csrfSecret(r)
	if secret == "" {
		return false
	}
	got := r.PostFormValue(csrfField)
	return got != "" && hmac.Equal([]byte(got), []byte(csrfTokenFor(secret)))
}
