package api

import (
	"github.com/openimi/openimi/internal/catalog"
)

// referenceData is what the directory's handlers check input against: the
// countries, languages, areas and competences of the reference data.
type referenceData struct{ cat *catalog.Catalog }

func (r referenceData) HasCountry(code string) bool {
	_, ok := r.cat.Country(code)
	return ok
}

func (r referenceData) HasLanguage(code string) bool {
	_, ok := r.cat.Language(code)
	return ok
}

func (r referenceData) HasArea(code string) bool {
	_, ok := r.cat.Area(code)
	return ok
}

func (r referenceData) competence(area, code string) (catalog.Competence, bool) {
	a, ok := r.cat.Area(area)
	if !ok {
		return catalog.Competence{}, false
	}
	for _, c := range a.Competences {
		if c.Code == code {
			return c, true
		}
	}
	return catalog.Competence{}, false
}

func (r referenceData) HasCompetence(area, code string) bool {
	_, ok := r.competence(area, code)
	return ok
}
