package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/google/uuid"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

// requestData is the request page: what the use case lets the reader see,
// and a form for each action it allows.
type requestData struct {
	View     cases.RequestView
	AreaName string
	// Side says which party the reader's authority is, for the labels.
	Side     string
	Timeline []cases.TimelineEvent
	// Actions are the forms, in the order the use case allows them.
	Actions []actionForm
	// Interventions are a coordinator's forms.
	Interventions []interventionForm
	// Requesting and Responding name the two authorities.
	Requesting, Responding string
	// ForwardTo are the authorities of the reader's country in the
	// request's area, for the forward forms.
	ForwardTo []option
	// Assignees are the colleagues the assign form offers.
	Assignees []cases.Assignee
	// CanSend offers the draft's sending.
	CanSend bool
	// ReasonForm asks a coordinator why they need the personal data.
	ReasonForm bool
}

// actionForm is one allowed action's form; Fields say which inputs it has.
type actionForm struct {
	Action workflows.Action
	Fields map[string]bool
	// Open unfolds the form, when it came back with errors.
	Open bool
}

// fieldsOf are the inputs of each action's form, after the JSON body the
// API takes (ActionBody); the use case decides which it requires.
func fieldsOf(a workflows.Action) map[string]bool {
	switch a {
	case workflows.ActAccept, workflows.ActProposeDeadline:
		return map[string]bool{"proposed_reply_date": true}
	case workflows.ActForward:
		return map[string]bool{"forward_to": true, "text": true}
	case workflows.ActAssign:
		return map[string]bool{"handler": true}
	case workflows.ActAnswer:
		return map[string]bool{"answers": true}
	case workflows.ActClose:
		return map[string]bool{"ratings": true, "text": true}
	case workflows.ActAgreeDeadline:
		return map[string]bool{}
	default:
		return map[string]bool{"text": true}
	}
}

// requestPage is where every mail about a request links to.
func (h *Handler) requestPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	ref := cases.RequestRef{ID: r.PathValue("id"), Reason: r.URL.Query().Get("reason")}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "request.title")
	if done := r.URL.Query().Get("done"); done != "" && h.texts.has("action.done."+done) {
		p.Notice = p.T("action.done." + done)
	}
	h.showRequest(w, r, c, p, ref, http.StatusOK, "")
}

// showRequest renders the request page; failed names the action whose form
// came back with errors, so that it is shown open.
func (h *Handler) showRequest(w http.ResponseWriter, r *http.Request, c cases.Caller, p *Page, ref cases.RequestRef, status int, failed workflows.Action) {
	c.Language = p.Lang
	view, err := h.cases.Request(r.Context(), c, ref)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := requestData{View: view, ReasonForm: view.PersonalDataStatus == cases.PersonalNeedsReason}
	if a, ok := h.catalog.Area(view.Area); ok {
		data.AreaName, _, _ = a.Name.In(p.Lang)
	}
	if b := c.Principal.Body; b != nil {
		switch b.ID {
		case view.RequestingAuthority:
			data.Side = "requesting"
		case view.RespondingAuthority:
			data.Side = "responding"
		}
	}
	if !view.Forwarded {
		timeline, err := h.cases.Timeline(r.Context(), c, ref)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Timeline = timeline.Events
	}
	for _, a := range view.AllowedActions {
		if a == cases.DraftSend {
			data.CanSend = true
		}
		if fields := fieldsOf(a); fields != nil && a != "edit" && a != "delete" && a != "send" {
			data.Actions = append(data.Actions, actionForm{Action: a, Fields: fields, Open: a == failed})
		}
	}
	for _, a := range view.AllowedInterventions {
		data.Interventions = append(data.Interventions, interventionFormOf(a, failed))
	}
	data.Requesting = h.authorityName(r, c, view.RequestingAuthority, p.Lang)
	data.Responding = h.authorityName(r, c, view.RespondingAuthority, p.Lang)
	if slices.Contains(view.AllowedActions, workflows.ActAssign) {
		found, err := h.cases.Assignees(r.Context(), c, cases.RequestRef{ID: ref.ID})
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.Assignees = found.Items
	}
	if slices.Contains(view.AllowedActions, workflows.ActForward) || slices.Contains(view.AllowedInterventions, workflows.CoordForward) {
		data.ForwardTo = h.forwardOptions(r, c, view, p.Lang)
	}
	p.TitleKey = "request.title"
	p.Data = data
	h.render(w, r, status, "requests/show", p)
}

// act posts one of the request's actions through the same use case as the
// API, then shows the request again.
func (h *Handler) act(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, action := r.PathValue("id"), workflows.Action(r.PathValue("action"))
	in := cases.ActionInput{ID: id, Action: action, ActionBody: actionBody(r, c.Language)}
	view, err := h.cases.Act(r.Context(), c, in)
	if err == nil && view.Forwarded {
		// The authority passed the request on and no longer sees it.
		http.Redirect(w, r, "/?done=forwarded", http.StatusSeeOther)
		return
	}
	if err == nil {
		http.Redirect(w, r, "/requests/"+url.PathEscape(id)+"?done="+url.QueryEscape(string(action)), http.StatusSeeOther)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "request.title")
	p.Form = r.PostForm
	status, ok := h.useCaseError(p, err)
	if !ok || status == http.StatusNotFound {
		h.fail(w, r, err)
		return
	}
	h.showRequest(w, r, c, p, cases.RequestRef{ID: id}, status, action)
}

// sendRequest sends a draft.
func (h *Handler) sendRequest(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	_, err := h.cases.SendRequest(r.Context(), c, cases.SendInput{ID: id})
	if err == nil {
		http.Redirect(w, r, "/requests/"+url.PathEscape(id)+"?done=send", http.StatusSeeOther)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "request.title")
	status, ok := h.useCaseError(p, err)
	if !ok || status == http.StatusNotFound {
		h.fail(w, r, err)
		return
	}
	h.showRequest(w, r, c, p, cases.RequestRef{ID: id}, status, "")
}

// actionBody reads an action's form into the body the use case takes; a
// field it cannot read (a malformed id, a rating that is no number) is
// passed on as absent, for the use case to refuse by name.
func actionBody(r *http.Request, lang string) cases.ActionBody {
	f := r.PostForm
	body := cases.ActionBody{
		ProposedReplyDate: f.Get("proposed_reply_date"),
		Text:              f.Get("text"),
	}
	if body.Text != "" {
		body.TextLang = lang
	}
	if id, err := uuid.Parse(f.Get("forward_to")); err == nil {
		body.ForwardTo = &id
	}
	if id, err := uuid.Parse(f.Get("handler")); err == nil {
		body.Handler = &id
	}
	body.TimelinessRating, _ = strconv.Atoi(f.Get("timeliness_rating"))
	body.EffortRating, _ = strconv.Atoi(f.Get("effort_rating"))
	for _, code := range f["question"] {
		if v := f.Get("answer." + code); v != "" {
			body.Answers = append(body.Answers, cases.AnswerInput{Question: code, Value: v})
		}
	}
	return body
}

// authorityName names an authority of the request as the directory shows
// it to the reader: "name (country)"; empty when the directory does not
// show it, which the page then leaves out.
func (h *Handler) authorityName(r *http.Request, c cases.Caller, id uuid.UUID, lang string) string {
	view, err := h.cases.GetAuthority(r.Context(), c, cases.GetAuthorityInput{ID: id, Lang: lang})
	if err != nil {
		if cases.AsError(err) == nil {
			h.log.WarnContext(r.Context(), "name the request's authority", "authority", id, "err", err)
		}
		return ""
	}
	return view.OfficialName + " (" + view.Country + ")"
}

// forwardOptions are the other authorities of the reader's country that
// work in the request's area: where a forward may go. The use case still
// decides whether one may.
func (h *Handler) forwardOptions(r *http.Request, c cases.Caller, view cases.RequestView, lang string) []option {
	if c.Principal.Body == nil {
		return nil
	}
	size := 100
	found, err := h.cases.SearchAuthorities(r.Context(), c, cases.SearchAuthoritiesInput{
		Country: c.Principal.Body.Country, Area: view.Area, Lang: lang, PageSize: &size, NamesOnly: true,
	})
	if err != nil {
		h.log.WarnContext(r.Context(), "list the authorities to forward to", "err", err)
		return nil
	}
	var out []option
	for _, a := range found.Items {
		if a.ID == view.RespondingAuthority {
			continue
		}
		label := a.OfficialName
		if a.Region != "" {
			label += " – " + a.Region
		}
		out = append(out, option{Value: a.ID.String(), Label: label})
	}
	return out
}

// readerOfCaller is the header's view of a signed-in caller.
func (h *Handler) readerOfCaller(c cases.Caller) *Reader {
	if !c.SignedIn() {
		return nil
	}
	reader := &Reader{Name: c.Session.User.DisplayName, Email: c.Session.User.Email}
	if a := c.Session.Authority; a != nil {
		reader.Authority = a.OfficialName
		reader.Coordinator = a.Kind.IsCoordinator()
	}
	reader.Administrator = c.Principal.Has(models.LocalDataAdministrator, "")
	reader.Helpdesk = c.Principal.Helpdesk
	return reader
}
