package web

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/openimi/openimi/cases"
)

// The new request: the official chooses the area and the country, finds
// the competent authority there through the directory search (in their own
// language), ticks questions of the area's set and saves the draft, which
// the request page then sends. Two plain steps, so that it works without
// JavaScript: a GET form narrows the search, the POST saves the draft.

type newRequestData struct {
	Area, Country, Q string
	Areas            []option
	Countries        []option
	// Authorities are the search's hits, once an area is chosen.
	Authorities []option
	Searched    bool
	Questions   []option
	// DraftID is set when the form changes a saved draft.
	DraftID string
}

func (h *Handler) newRequestOptions(r *http.Request, c cases.Caller, p *Page, q url.Values) (newRequestData, error) {
	d := newRequestData{Area: q.Get("area"), Country: q.Get("country"), Q: q.Get("q")}
	for _, a := range h.catalog.Areas() {
		name, _, _ := a.Name.In(p.Lang)
		d.Areas = append(d.Areas, option{Value: a.Code, Label: name, Selected: a.Code == d.Area})
	}
	for _, country := range h.catalog.Countries() {
		name, _, _ := country.Name.In(p.Lang)
		d.Countries = append(d.Countries, option{Value: country.Code, Label: name, Selected: country.Code == d.Country})
	}
	area, ok := h.catalog.Area(d.Area)
	if !ok {
		return d, nil
	}
	size := 50
	found, err := h.cases.SearchAuthorities(r.Context(), c, cases.SearchAuthoritiesInput{
		Q: d.Q, Country: d.Country, Area: d.Area, Lang: p.Lang, PageSize: &size,
	})
	if err != nil {
		return d, err
	}
	d.Searched = true
	picked := p.Form.Get("responding_authority")
	for _, a := range found.Items {
		label := a.OfficialName
		if a.Designation != nil && a.Designation.Text != "" {
			label += " – " + a.Designation.Text
		}
		label += " (" + a.Country + ")"
		d.Authorities = append(d.Authorities, option{Value: a.ID.String(), Label: label, Selected: a.ID.String() == picked})
	}
	for _, question := range area.Questions {
		text, _, _ := question.Text.In(p.Lang)
		d.Questions = append(d.Questions, option{Value: question.Code, Label: text, Selected: slices.Contains(p.Form["questions"], question.Code)})
	}
	return d, nil
}

// newRequestForm shows the steps of a new request.
func (h *Handler) newRequestForm(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "new.title")
	data, err := h.newRequestOptions(r, c, p, r.URL.Query())
	status := http.StatusOK
	if err != nil {
		s, ok := h.useCaseError(p, err)
		if !ok {
			h.fail(w, r, err)
			return
		}
		status = s
	}
	p.Data = data
	h.render(w, r, status, "requests/new", p)
}

// saveDraft records the draft through the same use case as the API, then
// shows it, ready to send.
func (h *Handler) saveDraft(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := draftInputOf(f, c.Language)
	view, err := h.cases.DraftRequest(r.Context(), c, in)
	if err == nil {
		http.Redirect(w, r, "/requests/"+url.PathEscape(view.ID.String())+"?done=draft", http.StatusSeeOther)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "new.title")
	p.Form = f
	status, ok := h.useCaseError(p, err)
	if !ok {
		h.fail(w, r, err)
		return
	}
	data, err := h.newRequestOptions(r, c, p, f)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	p.Data = data
	h.render(w, r, status, "requests/new", p)
}

// draftInputOf reads the draft's form into the use case's input.
func draftInputOf(f url.Values, lang string) cases.DraftInput {
	text := func(name string) *string {
		v := strings.TrimSpace(f.Get(name))
		if v == "" {
			return nil
		}
		return &v
	}
	in := cases.DraftInput{
		Area: text("area"), Subject: text("subject"), FreeText: text("free_text"), NeededBy: text("needed_by"),
	}
	// The official writes in the language of the page.
	in.SubjectLang = &lang
	if in.FreeText != nil {
		in.FreeTextLang = &lang
	}
	if id, err := uuid.Parse(f.Get("responding_authority")); err == nil {
		in.RespondingAuthority = &id
	}
	if questions := f["questions"]; len(questions) > 0 {
		in.Questions = &questions
	}
	personal := map[string]string{}
	for _, field := range []string{"name", "date_of_birth"} {
		if v := strings.TrimSpace(f.Get("personal." + field)); v != "" {
			personal[field] = v
		}
	}
	if len(personal) > 0 {
		in.PersonalData = &personal
	}
	return in
}

// editDraftForm shows a saved draft in the new request's form, to change
// it before sending.
func (h *Handler) editDraftForm(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	view, err := h.cases.Request(r.Context(), c, cases.RequestRef{ID: id})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !slices.Contains(view.AllowedActions, cases.DraftEdit) {
		// Not (or no longer) a draft this reader may change: its page says
		// where it stands.
		http.Redirect(w, r, "/requests/"+url.PathEscape(id), http.StatusSeeOther)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "new.edit")
	p.Form.Set("responding_authority", view.RespondingAuthority.String())
	for _, q := range view.Questions {
		p.Form.Add("questions", q.Code)
	}
	p.Form.Set("subject", view.Subject)
	p.Form.Set("needed_by", view.NeededBy)
	if view.FreeText.Text != nil {
		p.Form.Set("free_text", *view.FreeText.Text)
	}
	for k, v := range view.PersonalData {
		p.Form.Set("personal."+k, v)
	}
	narrow := url.Values{"area": {view.Area}}
	if responding, err := h.cases.GetAuthority(r.Context(), c, cases.GetAuthorityInput{ID: view.RespondingAuthority}); err == nil {
		narrow.Set("country", responding.Country)
	}
	data, err := h.newRequestOptions(r, c, p, narrow)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data.DraftID = id
	p.Data = data
	h.render(w, r, http.StatusOK, "requests/new", p)
}

// editDraft saves the changed draft through the same use case as the API.
func (h *Handler) editDraft(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	in := cases.EditDraftInput{ID: id, DraftInput: draftInputOf(r.PostForm, c.Language)}
	in.Area = nil // the area is the draft's; its questions belong to it
	if _, err := h.cases.EditDraft(r.Context(), c, in); err != nil {
		p := h.page(w, r, h.readerOfCaller(c), c.Language, "new.edit")
		p.Form = r.PostForm
		status, ok := h.useCaseError(p, err)
		if !ok || status == http.StatusNotFound {
			h.fail(w, r, err)
			return
		}
		data, err := h.newRequestOptions(r, c, p, r.PostForm)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		data.DraftID = id
		p.Data = data
		h.render(w, r, status, "requests/new", p)
		return
	}
	http.Redirect(w, r, "/requests/"+url.PathEscape(id)+"?done=draft", http.StatusSeeOther)
}

// deleteDraft throws a draft away.
func (h *Handler) deleteDraft(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	if err := h.cases.DeleteDraft(r.Context(), c, cases.RequestRef{ID: r.PathValue("id")}); err != nil {
		h.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/drafts?done=deleted", http.StatusSeeOther)
}
