package web

import (
	"net/http"
)

type homeData struct {
	Name      string
	Authority string
}

// home is what waits for the official and their authority.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	reader, _ := h.readerOf(r)
	p := h.page(w, r, reader, c.Language, "home.title")
	p.Data = homeData{Name: reader.Name, Authority: reader.Authority}
	h.render(w, r, http.StatusOK, "home/home", p)
}

// requestPage is where every mail about a request links to.
func (h *Handler) requestPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.signedIn(w, r); !ok {
		return
	}
	h.fail(w, r, errNotFound)
}

// registrationPage is where the mails about an authority's registration
// link to.
func (h *Handler) registrationPage(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.signedIn(w, r); !ok {
		return
	}
	h.fail(w, r, errNotFound)
}

func (h *Handler) registerForm(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errNotFound) }
func (h *Handler) register(w http.ResponseWriter, r *http.Request)     { h.fail(w, r, errNotFound) }
