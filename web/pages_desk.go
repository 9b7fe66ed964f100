package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/google/uuid"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/workflows"
)

// The coordinators' desk: the requests of their scope that wait for them
// (escalated, overdue, referred, awaiting acceptance), and on the request
// page a form for each intervention the use case allows, with its reason.

type deskData struct {
	Filter  string
	Filters []string
	Result  cases.DeskPage
	// Registrations await the coordinator's decision.
	Registrations []cases.RegistrationView
}

func (h *Handler) desk(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	in := cases.DeskInput{Filter: q.Get("filter")}
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			h.fail(w, r, cases.InvalidFields(cases.FieldError{Field: "page", Rule: "number"}))
			return
		}
		in.Page = &n
	}
	page, err := h.cases.Desk(r.Context(), c, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	registrations, err := h.cases.ListRegistrations(r.Context(), c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "desk.title")
	p.Data = deskData{Filter: in.Filter, Filters: []string{"escalated", "overdue", "referred", "awaiting-acceptance"}, Result: page,
		Registrations: registrations.Registrations}
	h.render(w, r, http.StatusOK, "requests/desk", p)
}

// interventionForm is one allowed intervention's form.
type interventionForm struct {
	Action workflows.Action
	// Fields beyond the reason, which every intervention gives.
	ForwardTo, Handler, ReturnTo bool
	Open                         bool
}

func interventionFormOf(a workflows.Action, failed workflows.Action) interventionForm {
	return interventionForm{
		Action: a, Open: a == failed,
		ForwardTo: a == workflows.CoordForward, Handler: a == workflows.CoordAccept, ReturnTo: a == workflows.Return,
	}
}

// intervene posts a coordinator's intervention through the same use case
// as the API.
func (h *Handler) intervene(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, action := r.PathValue("id"), workflows.Action(r.PathValue("action"))
	f := r.PostForm
	body := cases.InterventionBody{Reason: f.Get("reason"), ReturnTo: f.Get("return_to")}
	if body.Reason != "" {
		body.ReasonLang = c.Language
	}
	if v, err := uuid.Parse(f.Get("forward_to")); err == nil {
		body.ForwardTo = &v
	}
	if v, err := uuid.Parse(f.Get("handler")); err == nil {
		body.Handler = &v
	}
	_, err := h.cases.Intervene(r.Context(), c, cases.InterventionInput{ID: id, Action: action, InterventionBody: body})
	if err == nil {
		http.Redirect(w, r, "/requests/"+url.PathEscape(id)+"?done="+url.QueryEscape(string(action)), http.StatusSeeOther)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "request.title")
	p.Form = f
	status, ok := h.useCaseError(p, err)
	if !ok || status == http.StatusNotFound {
		h.fail(w, r, err)
		return
	}
	h.showRequest(w, r, c, p, cases.RequestRef{ID: id}, status, action)
}
