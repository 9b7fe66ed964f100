package web

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/internal/catalog"
)

//go:embed assets
var assetFiles embed.FS

// Deps is what the pages need.
type Deps struct {
	Log     *slog.Logger
	Cases   *cases.Service
	Catalog *catalog.Catalog
	// PublicURL is where officials reach OpenIMI; https makes the cookies
	// Secure.
	PublicURL string
	// SessionTTL is how long a session lasts, for the cookie's lifetime.
	SessionTTL time.Duration
	// DevMailAPI is the base URL of the Mailpit that `dev` runs; it serves
	// the dev mailbox page at /dev/mail. Empty in production: no such page.
	DevMailAPI string
}

// Handler serves the pages.
type Handler struct {
	log     *slog.Logger
	cases   *cases.Service
	catalog *catalog.Catalog
	texts   *locales
	pages   *pages
	secure  bool
	ttl     time.Duration
	cookies cookieNames
	devMail string
	mux     *http.ServeMux
}

// cookieNames carry the __Host- prefix over https, which forbids another
// (sub)domain to set them: neither the session nor the CSRF secret can be
// planted by a neighbour.
type cookieNames struct{ session, csrf string }

// NewHandler builds the pages' handler, to be mounted at "/".
func NewHandler(d Deps) (*Handler, error) {
	texts, err := loadLocales()
	if err != nil {
		return nil, err
	}
	pages, err := loadPages()
	if err != nil {
		return nil, err
	}
	h := &Handler{
		log: d.Log, cases: d.Cases, catalog: d.Catalog, texts: texts, pages: pages,
		secure: strings.HasPrefix(d.PublicURL, "https://"), ttl: d.SessionTTL,
		devMail: strings.TrimRight(d.DevMailAPI, "/"),
		cookies: cookieNames{session: "openimi_session", csrf: csrfCookie},
	}
	if h.secure {
		h.cookies = cookieNames{session: "__Host-openimi_session", csrf: "__Host-" + csrfCookie}
	}
	assets, err := fs.Sub(assetFiles, "assets")
	if err != nil {
		return nil, fmt.Errorf("pages: assets: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", assetCache(http.StripPrefix("/assets/", http.FileServerFS(assets))))
	h.routes(mux)
	h.mux = mux
	return h, nil
}

func (h *Handler) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", h.home)
	mux.HandleFunc("GET /sign-in", h.signInForm)
	mux.HandleFunc("POST /sign-in", h.signIn)
	mux.HandleFunc("POST /sign-out", h.signOut)
	mux.HandleFunc("GET /activate", h.activateForm)
	mux.HandleFunc("POST /activate", h.activate)
	mux.HandleFunc("GET /reset-password", h.resetPasswordForm)
	mux.HandleFunc("POST /reset-password", h.resetPassword)
	mux.HandleFunc("POST /reset-password/request", h.requestPasswordReset)
	mux.HandleFunc("GET /register", h.registerForm)
	mux.HandleFunc("POST /register", h.register)
	mux.HandleFunc("GET /requests", h.box)
	mux.HandleFunc("GET /requests/new", h.newRequestForm)
	mux.HandleFunc("GET /drafts", h.drafts)
	mux.HandleFunc("POST /requests/new", h.saveDraft)
	mux.HandleFunc("GET /requests/{id}", h.requestPage)
	mux.HandleFunc("POST /requests/{id}/send", h.sendRequest)
	mux.HandleFunc("GET /requests/{id}/edit", h.editDraftForm)
	mux.HandleFunc("POST /requests/{id}/edit", h.editDraft)
	mux.HandleFunc("POST /requests/{id}/delete", h.deleteDraft)
	mux.HandleFunc("POST /requests/{id}/actions/{action}", h.act)
	mux.HandleFunc("POST /requests/{id}/coordination/{action}", h.intervene)
	mux.HandleFunc("POST /requests/{id}/attachments", h.uploadAttachment)
	mux.HandleFunc("GET /requests/{id}/attachments/{attachment_id}", h.downloadAttachment)
	mux.HandleFunc("GET /desk", h.desk)
	mux.HandleFunc("GET /directory", h.directory)
	mux.HandleFunc("GET /scoreboard", h.scoreboard)
	mux.HandleFunc("GET /coordinators", h.coordinatorsForm)
	mux.HandleFunc("POST /coordinators", h.createCoordinator)
	mux.HandleFunc("GET /invitations", h.inviteForm)
	mux.HandleFunc("POST /invitations", h.invite)
	mux.HandleFunc("GET /authorities/new", h.newAuthorityForm)
	mux.HandleFunc("POST /authorities/new", h.registerAuthority)
	mux.HandleFunc("GET /scoreboard.csv", h.scoreboard)
	mux.HandleFunc("GET /users", h.usersPage)
	mux.HandleFunc("POST /users", h.createUser)
	mux.HandleFunc("POST /users/{id}/status", h.updateUserStatus)
	mux.HandleFunc("GET /notifications", h.notificationsPage)
	mux.HandleFunc("GET /authorities/{id}", h.authorityPage)
	mux.HandleFunc("GET /registrations/{id}", h.registrationPage)
	mux.HandleFunc("POST /registrations/{id}/{decision}", h.decideRegistration)
	if h.devMail != "" {
		mux.HandleFunc("GET /dev/mail", h.devMailbox)
		mux.HandleFunc("GET /dev/mail/{id}", h.devMailMessage)
	}
	mux.HandleFunc("/", h.notFound)
}

// ServeHTTP applies what every page gets: the security headers, the
// language switch, the refusal of cross-origin and token-less posts, and
// recovery from a panic as a 500 page.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	// No inline script or style anywhere: the stylesheet and images come
	// from /assets, forms post only here, nothing may frame a page.
	hdr.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("X-Content-Type-Options", "nosniff")
	// Tokens travel in the query of mailed links: no page passes its
	// address on to another site.
	hdr.Set("Referrer-Policy", "same-origin")
	// The page's own time, for the load tool (the API's metrics do not see
	// pages): every page is rendered into a buffer before its header goes.
	w = &timedWriter{ResponseWriter: w, began: time.Now()}
	defer func() {
		if v := recover(); v != nil {
			h.log.ErrorContext(r.Context(), "page panicked", "path", r.URL.Path, "panic", v)
			h.fail(w, r, fmt.Errorf("panic: %v", v))
		}
	}()
	if strings.HasPrefix(r.URL.Path, "/assets/") {
		h.mux.ServeHTTP(w, r)
		return
	}
	c, err := h.resolveCaller(r)
	r = withCaller(r, c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if lang := r.URL.Query().Get("lang"); lang != "" && r.Method == http.MethodGet {
		h.switchLanguage(w, r, lang)
		return
	}
	if r.Method == http.MethodPost {
		limit := int64(maxFormBytes)
		if strings.HasSuffix(r.URL.Path, "/attachments") {
			limit = maxUploadBytes
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if err := parseForm(r); err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				h.fail(w, r, &cases.Error{Kind: cases.TooLarge, Code: "body_too_large", Message: "the form is too large", Err: err})
				return
			}
			h.fail(w, r, &cases.Error{Kind: cases.Malformed, Code: "invalid_body", Message: "the form could not be read", Err: err})
			return
		}
		if err := http.NewCrossOriginProtection().Check(r); err != nil {
			h.refuseForm(w, r)
			return
		}
		if !h.validCSRF(r) {
			h.refuseForm(w, r)
			return
		}
	}
	h.mux.ServeHTTP(w, r)
}

// switchLanguage remembers the language picked on the page and shows the
// same page again without the parameter.
func (h *Handler) switchLanguage(w http.ResponseWriter, r *http.Request, lang string) {
	if _, ok := h.texts.names[lang]; ok {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode})
		h.saveLanguage(r, lang)
	}
	u := *r.URL
	q := u.Query()
	q.Del("lang")
	u.RawQuery = q.Encode()
	http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
}

// parseForm reads a posted form, with its files when it has any.
func parseForm(r *http.Request) error {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data") {
		return r.ParseMultipartForm(maxUploadBytes)
	}
	return r.ParseForm()
}

func (h *Handler) cookie(name, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.secure, SameSite: http.SameSiteLaxMode}
}

func assetCache(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// timedWriter tells the server's time in a Server-Timing header, taken
// when the header is written.
type timedWriter struct {
	http.ResponseWriter
	began time.Time
	done  bool
}

func (t *timedWriter) WriteHeader(status int) {
	if !t.done {
		t.done = true
		t.Header().Set("Server-Timing", fmt.Sprintf("app;dur=%.2f", float64(time.Since(t.began).Microseconds())/1000))
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *timedWriter) Write(b []byte) (int, error) {
	if !t.done {
		t.WriteHeader(http.StatusOK)
	}
	return t.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection.
func (t *timedWriter) Unwrap() http.ResponseWriter { return t.ResponseWriter }
