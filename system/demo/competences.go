package demo

import (
	"slices"
	"strings"

	"github.com/openimi/openimi/internal/catalog"
)

// Competences resolves the demo's professions and activities to the
// reference data's competence codes: CatalogCompetences in the program, a
// small fake in the generator's tests. Match must be deterministic.
type Competences interface {
	// Match returns the codes of the area's competences that a term (e.g.
	// "doctor", "construction") names.
	Match(area, term string) []string
}

// The legislative areas the demo uses, by their reference-data codes.
const (
	ProfessionalQualifications = "professional-qualifications"
	Services                   = "services"
)

// CatalogCompetences resolves the demo's terms against the reference data.
func CatalogCompetences(cat *catalog.Catalog) Competences { return catalogCompetences{cat: cat} }

type catalogCompetences struct{ cat *catalog.Catalog }

// Match returns, sorted, the codes of the area's competences whose code is
// the term or whose labels or keywords contain it, regardless of case and
// accents.
func (c catalogCompetences) Match(area, term string) []string {
	a, ok := c.cat.Area(area)
	if !ok {
		return nil
	}
	term = strings.TrimSpace(term)
	var codes []string
	for _, comp := range a.Competences {
		if comp.Code == term || comp.Matches(term) {
			codes = append(codes, comp.Code)
		}
	}
	slices.Sort(codes)
	return codes
}
