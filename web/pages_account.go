package web

import (
	"net/http"
	"time"

	"github.com/openimi/openimi/cases"
)

type signInData struct{ Next string }

// signInForm shows the sign-in form; "next" is the page to go on to, as a
// mailed link followed while signed out leaves it.
func (h *Handler) signInForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if h.caller(r).SignedIn() {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	p := h.page(w, r, nil, "", "signin.title")
	p.Data = signInData{Next: next}
	switch {
	case r.URL.Query().Has("signed_out"):
		p.Notice = p.T("signin.signed_out")
	case r.URL.Query().Has("activated"):
		p.Notice = p.T("activate.done")
	case r.URL.Query().Has("reset"):
		p.Notice = p.T("reset.done")
	}
	h.render(w, r, http.StatusOK, "account/sign-in", p)
}

// signIn opens a session through the same use case as the API's login and
// keeps its token in the session cookie.
func (h *Handler) signIn(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.PostFormValue("next"))
	in := cases.LoginInput{Email: r.PostFormValue("email"), Password: r.PostFormValue("password")}
	res, err := h.cases.Login(r.Context(), h.caller(r), in)
	if err != nil {
		p := h.page(w, r, nil, "", "signin.title")
		p.Data = signInData{Next: next}
		p.Form.Set("email", in.Email)
		status, ok := h.useCaseError(p, err)
		if !ok {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, status, "account/sign-in", p)
		return
	}
	maxAge := int(time.Until(res.ExpiresAt).Seconds())
	http.SetCookie(w, h.cookie(h.cookies.session, res.Token, maxAge))
	// The signed-out forms' secret is of no more use.
	http.SetCookie(w, h.cookie(h.cookies.csrf, "", -1))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signOut ends the session on the server, not only in this browser.
func (h *Handler) signOut(w http.ResponseWriter, r *http.Request) {
	if c := h.caller(r); c.SignedIn() {
		if err := h.cases.Logout(r.Context(), c); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	http.SetCookie(w, h.cookie(h.cookies.session, "", -1))
	http.Redirect(w, r, "/sign-in?signed_out=1", http.StatusSeeOther)
}

// setPasswordData shapes the page on which an emailed link's token sets a
// password: the activation and the password reset.
type setPasswordData struct {
	Token       string
	Action      string
	LeadKey     string
	SubmitKey   string
	LinkHelpKey string
}

func activationData(token string) setPasswordData {
	return setPasswordData{Token: token, Action: "/activate", LeadKey: "activate.lead", SubmitKey: "activate.submit"}
}

func resetData(token string) setPasswordData {
	return setPasswordData{Token: token, Action: "/reset-password", LeadKey: "reset.lead", SubmitKey: "reset.submit"}
}

// activateForm is where the activation mail's link lands.
func (h *Handler) activateForm(w http.ResponseWriter, r *http.Request) {
	h.passwordForm(w, r, "activate.title", activationData(r.URL.Query().Get("token")), "activate.link_help")
}

func (h *Handler) activate(w http.ResponseWriter, r *http.Request) {
	in := cases.SetPasswordInput{Token: r.PostFormValue("token"), Password: r.PostFormValue("password")}
	err := h.cases.Activate(r.Context(), h.caller(r), in)
	h.afterPassword(w, r, err, "activate.title", activationData(in.Token), "activate.link_help", "/sign-in?activated=1")
}

// resetPasswordForm is where the reset mail's link lands; without a token
// it is the form that asks for such a mail.
func (h *Handler) resetPasswordForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if token == "" {
		reader, account := h.readerOf(r)
		h.render(w, r, http.StatusOK, "account/reset-request", h.page(w, r, reader, account, "reset.request.title"))
		return
	}
	h.passwordForm(w, r, "reset.title", resetData(token), "reset.link_help")
}

func (h *Handler) resetPassword(w http.ResponseWriter, r *http.Request) {
	in := cases.SetPasswordInput{Token: r.PostFormValue("token"), Password: r.PostFormValue("password")}
	err := h.cases.ResetPassword(r.Context(), h.caller(r), in)
	h.afterPassword(w, r, err, "reset.title", resetData(in.Token), "reset.link_help", "/sign-in?reset=1")
}

// requestPasswordReset asks for a reset mail. The answer is the same
// whether or not the address has an account, as the API's is.
func (h *Handler) requestPasswordReset(w http.ResponseWriter, r *http.Request) {
	reader, account := h.readerOf(r)
	p := h.page(w, r, reader, account, "reset.request.title")
	in := cases.PasswordResetRequestInput{Email: r.PostFormValue("email")}
	if err := h.cases.RequestPasswordReset(r.Context(), h.caller(r), in); err != nil {
		p.Form.Set("email", in.Email)
		status, ok := h.useCaseError(p, err)
		if !ok {
			h.fail(w, r, err)
			return
		}
		h.render(w, r, status, "account/reset-request", p)
		return
	}
	p.Notice = p.T("reset.request.sent")
	h.render(w, r, http.StatusOK, "account/reset-request", p)
}

func (h *Handler) passwordForm(w http.ResponseWriter, r *http.Request, titleKey string, data setPasswordData, helpKey string) {
	reader, account := h.readerOf(r)
	p := h.page(w, r, reader, account, titleKey)
	status := http.StatusOK
	if data.Token == "" {
		p.Problem = p.T("link.incomplete")
		data.LinkHelpKey = helpKey
		status = http.StatusBadRequest
	}
	p.Data = data
	h.render(w, r, status, "account/set-password", p)
}

// afterPassword shows the outcome of a link's form: on success the next
// page; an expired or used link as such, with how to get a new one; a
// refused password beside its field.
func (h *Handler) afterPassword(w http.ResponseWriter, r *http.Request, err error, titleKey string, data setPasswordData, helpKey, done string) {
	if err == nil {
		http.Redirect(w, r, done, http.StatusSeeOther)
		return
	}
	reader, account := h.readerOf(r)
	p := h.page(w, r, reader, account, titleKey)
	status, ok := h.useCaseError(p, err)
	if !ok {
		h.fail(w, r, err)
		return
	}
	if e := cases.AsError(err); e.Kind == cases.Gone {
		p.Problem = p.T("link.gone")
		data.Token = ""
		data.LinkHelpKey = helpKey
	}
	p.Data = data
	h.render(w, r, status, "account/set-password", p)
}

// saveLanguage makes a signed-in reader's pick on the page their account's
// language too, so that their mails follow it; an anonymous reader's pick
// stays in the cookie alone. The switch is a link (a GET), so a pick that
// another site's page sent the browser to is not saved: only one made on
// these pages (or by a browser that does not say) is.
func (h *Handler) saveLanguage(r *http.Request, lang string) {
	c := h.caller(r)
	if !c.SignedIn() || c.Language == lang {
		return
	}
	if site := r.Header.Get("Sec-Fetch-Site"); site == "cross-site" || site == "same-site" {
		return
	}
	if _, err := h.cases.SetLanguage(r.Context(), c, cases.SetLanguageInput{Language: lang}); err != nil {
		// The cookie still carries the pick; the account keeps its language.
		h.log.WarnContext(r.Context(), "save the account's language", "err", err)
	}
}
