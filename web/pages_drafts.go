package web

import (
	"net/http"
	"net/url"

	"github.com/openimi/openimi/cases"
)

type draftsData struct {
	Result cases.RequestPage
	Prev   string
	Next   string
}

// drafts lists the drafts of the reader's authority, each leading to its
// edit page (editDraftForm) to finish and send it.
func (h *Handler) drafts(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	in, err := listInput("outgoing", url.Values{"state": {"DRAFT"}, "page": {q.Get("page")}})
	if err == nil {
		var page cases.RequestPage
		page, err = h.cases.Requests(r.Context(), c, in)
		if err == nil {
			p := h.page(w, r, h.readerOfCaller(c), c.Language, "drafts.title")
			if q.Get("done") == "deleted" {
				p.Notice = p.T("action.done.delete")
			}
			data := draftsData{Result: page}
			data.Prev, data.Next = pageLinks("/drafts", url.Values{}, page)
			p.Data = data
			h.render(w, r, http.StatusOK, "requests/drafts", p)
			return
		}
	}
	if e := cases.AsError(err); e != nil && e.Kind == cases.Invalid {
		p := h.page(w, r, h.readerOfCaller(c), c.Language, "drafts.title")
		status, _ := h.useCaseError(p, err)
		p.Data = draftsData{}
		h.render(w, r, status, "requests/drafts", p)
		return
	}
	h.fail(w, r, err)
}
