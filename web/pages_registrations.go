package web

import (
	"net/http"
)

// The registration pages land the mails about an authority's registration
// (the invitation, and the coordinators' pending / reminder / escalated /
// approved / rejected notices). Their forms wait for the registration use
// cases to move into package cases; until then each page says where the
// work is done, so that no mailed link ends on an error.

type pendingData struct {
	LeadKey string
}

// registrationPage is where the mails about a registration link to.
func (h *Handler) registrationPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "registration.title")
	p.Data = pendingData{LeadKey: "registration.pending_page"}
	h.render(w, r, http.StatusOK, "registrations/pending", p)
}

// registerForm is where the invitation mail's link lands.
func (h *Handler) registerForm(w http.ResponseWriter, r *http.Request) {
	reader, account := h.readerOf(r)
	p := h.page(w, r, reader, account, "register.title")
	status := http.StatusOK
	if r.URL.Query().Get("invitation") == "" {
		p.Problem = p.T("link.incomplete")
		status = http.StatusBadRequest
	}
	p.Data = pendingData{LeadKey: "register.pending_page"}
	h.render(w, r, status, "registrations/pending", p)
}

func (h *Handler) register(w http.ResponseWriter, r *http.Request) { h.registerForm(w, r) }
