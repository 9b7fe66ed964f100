package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/openimi/openimi/cases"
)

// tray is one heap of the home page: a filter of a box, and how many
// requests it holds.
type tray struct {
	Key   string
	Box   string
	Query url.Values
	Count int64
	Alert bool
	// Page lists the tray's requests where it is not the box filtered
	// (the drafts have their own page).
	Page string
}

// Href is where the tray leads.
func (t tray) Href() string {
	if t.Page != "" {
		return t.Page
	}
	v := url.Values{"box": {t.Box}}
	for k, vs := range t.Query {
		v[k] = vs
	}
	return "/requests?" + v.Encode()
}

// trays are IMI's dashboard: what waits for the reader's authority, by what
// is to be done.
func trays() []tray {
	yes := "true"
	return []tray{
		{Key: "to_accept", Box: "incoming", Query: url.Values{"state": {"AWAITING_ACCEPTANCE"}}},
		{Key: "to_answer", Box: "incoming", Query: url.Values{"state": {"ACCEPTED"}}},
		{Key: "overdue", Box: "incoming", Query: url.Values{"overdue": {yes}}, Alert: true},
		{Key: "answers_to_read", Box: "outgoing", Query: url.Values{"state": {"ANSWERED"}}},
		{Key: "clarifications", Box: "incoming", Query: url.Values{"state": {"CLARIFICATION_REQUESTED"}}},
		{Key: "drafts", Box: "outgoing", Query: url.Values{"state": {"DRAFT"}}, Page: "/drafts"},
	}
}

type homeData struct {
	Name      string
	Authority string
	Trays     []tray
}

// home is what waits for the official and their authority.
func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	reader := h.readerOfCaller(c)
	p := h.page(w, r, reader, c.Language, "home.title")
	if r.URL.Query().Get("done") == "forwarded" {
		p.Notice = p.T("request.forwarded")
	}
	data := homeData{Name: reader.Name, Authority: reader.Authority}
	if b := c.Principal.Body; b != nil {
		for _, t := range trays() {
			in, err := listInput(t.Box, t.Query)
			if err != nil {
				h.fail(w, r, err)
				return
			}
			one := 1
			in.PageSize = &one
			page, err := h.cases.Requests(r.Context(), c, in)
			if e := cases.AsError(err); e != nil && e.Kind == cases.Forbidden {
				// An authority not (or no longer) active has no boxes.
				data.Trays = nil
				break
			}
			if err != nil {
				h.fail(w, r, err)
				return
			}
			t.Count = page.Total
			t.Alert = t.Alert && t.Count > 0
			data.Trays = append(data.Trays, t)
		}
	}
	p.Data = data
	h.render(w, r, http.StatusOK, "home/home", p)
}

// listInput reads a box's filters from a query string; a value that is not
// even of the field's type is passed on as given, for the use case to
// refuse by name.
func listInput(box string, q url.Values) (cases.RequestListInput, error) {
	in := cases.RequestListInput{Box: box, State: q.Get("state"), Area: q.Get("area"), Reference: q.Get("reference")}
	boolOf := func(name string) (*bool, error) {
		v := q.Get(name)
		if v == "" {
			return nil, nil
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, cases.InvalidFields(cases.FieldError{Field: name, Rule: "boolean"})
		}
		return &b, nil
	}
	intOf := func(name string) (*int, error) {
		v := q.Get(name)
		if v == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, cases.InvalidFields(cases.FieldError{Field: name, Rule: "number"})
		}
		return &n, nil
	}
	var err error
	if in.Overdue, err = boolOf("overdue"); err != nil {
		return in, err
	}
	if in.Escalated, err = boolOf("escalated"); err != nil {
		return in, err
	}
	if in.Page, err = intOf("page"); err != nil {
		return in, err
	}
	return in, nil
}

type boxData struct {
	Box   string
	State string
	Area  string
	// Overdue is the deadline filter as given: "", "true" or "false".
	Overdue   string
	Reference string
	Result    cases.RequestPage
	Prev      string
	Next      string
	States    []string
	Areas     []option
}

// CountryName is a country's name in the reader's language.
func (p *Page) CountryName(code string) string {
	if c, ok := p.h.catalog.Country(code); ok {
		name, _, _ := c.Name.In(p.Lang)
		return name
	}
	return code
}

// areaOptions are the legislative areas in the reader's language, for the
// box's area filter.
func (h *Handler) areaOptions(lang string) []option {
	var out []option
	for _, a := range h.catalog.Areas() {
		name, _, _ := a.Name.In(lang)
		out = append(out, option{Value: a.Code, Label: name})
	}
	return out
}

// findByReference looks for a reference in both boxes, the one shown
// first, through the same use case and need-to-know as the lists: the
// request's page when one is found, "" otherwise.
func (h *Handler) findByReference(r *http.Request, c cases.Caller, box, reference string) (string, error) {
	other := "outgoing"
	if box == "outgoing" {
		other = "incoming"
	}
	for _, b := range []string{box, other} {
		page, err := h.cases.Requests(r.Context(), c, cases.RequestListInput{Box: b, Reference: reference})
		if err != nil {
			return "", err
		}
		if len(page.Items) == 1 {
			return "/requests/" + page.Items[0].ID.String(), nil
		}
	}
	return "", nil
}

// pageLinks are the addresses of the pages before and after the one shown
// of a list at path with the query q, or "" at either end.
func pageLinks(path string, q url.Values, page cases.RequestPage) (prev, next string) {
	link := func(n int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Set("page", strconv.Itoa(n))
		return path + "?" + v.Encode()
	}
	if page.Page > 1 {
		prev = link(page.Page - 1)
	}
	if int64(page.Page*page.PageSize) < page.Total {
		next = link(page.Page + 1)
	}
	return prev, next
}

// box lists the incoming or outgoing requests of the reader's authority.
func (h *Handler) box(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	box := q.Get("box")
	if box == "" {
		box = "incoming"
	}
	in, err := listInput(box, q)
	notFound := ""
	if err == nil && strings.TrimSpace(in.Reference) != "" {
		var found string
		found, err = h.findByReference(r, c, box, in.Reference)
		if found != "" {
			http.Redirect(w, r, found, http.StatusSeeOther)
			return
		}
		notFound = strings.TrimSpace(in.Reference)
	}
	if err == nil {
		var page cases.RequestPage
		page, err = h.cases.Requests(r.Context(), c, in)
		if err == nil {
			p := h.page(w, r, h.readerOfCaller(c), c.Language, "box."+box)
			if q.Get("done") == "deleted" {
				p.Notice = p.T("action.done.delete")
			}
			if notFound != "" {
				p.Notice = p.T("box.not_found", notFound)
			}
			data := boxData{Box: box, State: in.State, Area: in.Area, Overdue: q.Get("overdue"), Reference: in.Reference,
				Result: page, Areas: h.areaOptions(p.Lang),
				States: []string{"DRAFT", "AWAITING_ACCEPTANCE", "ACCEPTED", "ANSWERED", "CLARIFICATION_REQUESTED", "REFERRED", "CLOSED", "WITHDRAWN"}}
			q.Set("box", box)
			data.Prev, data.Next = pageLinks("/requests", q, page)
			p.Data = data
			h.render(w, r, http.StatusOK, "requests/box", p)
			return
		}
	}
	if e := cases.AsError(err); e != nil && e.Kind == cases.Invalid {
		p := h.page(w, r, h.readerOfCaller(c), c.Language, "box."+box)
		status, _ := h.useCaseError(p, err)
		p.Data = boxData{Box: box, Reference: in.Reference, Areas: h.areaOptions(p.Lang)}
		h.render(w, r, status, "requests/box", p)
		return
	}
	h.fail(w, r, err)
}
