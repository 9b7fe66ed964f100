package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/openimi/openimi/cases"
)

// address is the client's network address, for the limits on sign-in
// attempts: the socket's peer, as the API takes it (no proxy is trusted).
func address(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

type callerKey struct{}

// resolveCaller finds who sends the request: signed in when the session
// cookie holds a live session, else anonymous (an expired or revoked session
// reads as signed out).
func (h *Handler) resolveCaller(r *http.Request) (cases.Caller, error) {
	anonymous := cases.Caller{Address: address(r)}
	c, err := r.Cookie(h.cookies.session)
	if err != nil || c.Value == "" {
		return anonymous, nil
	}
	caller, err := h.cases.Authenticate(r.Context(), c.Value, address(r))
	if e := cases.AsError(err); e != nil && e.Kind == cases.Unauthenticated {
		return anonymous, nil
	}
	if err != nil {
		return anonymous, err
	}
	return caller, nil
}

func withCaller(r *http.Request, c cases.Caller) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), callerKey{}, c))
}

// caller is who sends the request, as ServeHTTP resolved it.
func (h *Handler) caller(r *http.Request) cases.Caller {
	c, _ := r.Context().Value(callerKey{}).(cases.Caller)
	return c
}

// readerOf is the header's view of the caller and their account's
// language; a failure to tell reads as signed out.
func (h *Handler) readerOf(r *http.Request) (*Reader, string) {
	c := h.caller(r)
	if !c.SignedIn() {
		return nil, ""
	}
	return h.readerOfCaller(c), c.Language
}

// signedIn is the caller of a page that needs one; a signed-out reader is
// sent to the sign-in page, which brings them back here (ok is false then,
// and the answer is written).
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request) (cases.Caller, bool) {
	c := h.caller(r)
	if !c.SignedIn() {
		h.toSignIn(w, r)
		return c, false
	}
	c.Language = h.texts.language(h.catalog, r, c.Language)
	return c, true
}

// toSignIn sends a signed-out reader to the sign-in page with the page they
// asked for as "next".
func (h *Handler) toSignIn(w http.ResponseWriter, r *http.Request) {
	target := "/sign-in"
	if r.Method == http.MethodGet && r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// localPath accepts a "next" address only when it is a path of this site,
// so that the sign-in page cannot be used to send someone elsewhere.
func localPath(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return u.RequestURI()
}
