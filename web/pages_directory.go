package web

import (
	"net/http"
	"strconv"

	"github.com/google/uuid"

	"github.com/openimi/openimi/cases"
)

// The directory: the search for the competent authority, in the reader's
// language, and an authority's page with its competences.

type directoryData struct {
	Q, Country, Area string
	Countries, Areas []option
	Result           cases.AuthoritySearchResult
	Searched         bool
}

func (h *Handler) directory(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "directory.title")
	d := directoryData{Q: q.Get("q"), Country: q.Get("country"), Area: q.Get("area")}
	for _, a := range h.catalog.Areas() {
		name, _, _ := a.Name.In(p.Lang)
		d.Areas = append(d.Areas, option{Value: a.Code, Label: name, Selected: a.Code == d.Area})
	}
	for _, country := range h.catalog.Countries() {
		name, _, _ := country.Name.In(p.Lang)
		d.Countries = append(d.Countries, option{Value: country.Code, Label: name, Selected: country.Code == d.Country})
	}
	status := http.StatusOK
	if d.Q != "" || d.Country != "" || d.Area != "" {
		in := cases.SearchAuthoritiesInput{Q: d.Q, Country: d.Country, Area: d.Area, Lang: p.Lang}
		if v := q.Get("page"); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				in.Page = &n
			}
		}
		result, err := h.cases.SearchAuthorities(r.Context(), c, in)
		if err != nil {
			s, ok := h.useCaseError(p, err)
			if !ok {
				h.fail(w, r, err)
				return
			}
			status = s
		} else {
			d.Result, d.Searched = result, true
		}
	}
	p.Data = d
	h.render(w, r, status, "directory/search", p)
}

type authorityData struct {
	View        cases.AuthorityView
	CountryName string
	Areas       []authorityArea
}

type authorityArea struct {
	Name        string
	Competences []string
}

func (h *Handler) authorityPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "directory.authority")
	if r.URL.Query().Get("done") == "registered" {
		p.Notice = p.T("authorities.new.done")
	}
	c.Language = p.Lang
	view, err := h.cases.GetAuthority(r.Context(), c, cases.GetAuthorityInput{ID: id})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := authorityData{View: view, CountryName: view.Country}
	if country, ok := h.catalog.Country(view.Country); ok {
		d.CountryName, _, _ = country.Name.In(p.Lang)
	}
	for _, a := range view.Areas {
		area, ok := h.catalog.Area(a.Area)
		if !ok {
			continue
		}
		entry := authorityArea{}
		entry.Name, _, _ = area.Name.In(p.Lang)
		for _, code := range a.Competences {
			label := code
			for _, comp := range area.Competences {
				if comp.Code == code {
					label, _, _ = comp.Label.In(p.Lang)
				}
			}
			entry.Competences = append(entry.Competences, label)
		}
		d.Areas = append(d.Areas, entry)
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "directory/authority", p)
}
