package api

import (
	"sort"
	"strings"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/models"
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

type addressInput struct {
	Street     string `json:"street" binding:"max=200"`
	PostalCode string `json:"postal_code" binding:"max=20"`
	City       string `json:"city" binding:"max=100"`
}

type areaInput struct {
	Area        string   `json:"area" binding:"required,max=60"`
	Competences []string `json:"competences" binding:"max=300,dive,required,max=80"`
}

// authorityInput is an authority as a registering official or a
// coordinator describes it.
type authorityInput struct {
	OfficialName      string            `json:"official_name" binding:"required,max=300"`
	OfficialNameLang  string            `json:"official_name_lang" binding:"required,len=2,lowercase"`
	Designation       map[string]string `json:"designation" binding:"max=40,dive,keys,len=2,lowercase,endkeys,required,max=300"`
	Description       map[string]string `json:"description" binding:"max=40,dive,keys,len=2,lowercase,endkeys,max=4000"`
	Country           string            `json:"country" binding:"required,len=2,uppercase"`
	Region            string            `json:"region" binding:"max=100"`
	Level             models.Level      `json:"level" binding:"required,oneof=national regional local"`
	Address           addressInput      `json:"address"`
	FunctionalMailbox string            `json:"functional_mailbox" binding:"required,email,max=254"`
	Phone             string            `json:"phone" binding:"max=40"`
	Areas             []areaInput       `json:"areas" binding:"max=20,dive"`
}

type newUserInput struct {
	Email       string `json:"email" binding:"required,email,max=254"`
	DisplayName string `json:"display_name" binding:"required,max=200"`
	Language    string `json:"language" binding:"required,len=2,lowercase"`
}

// checkReferences reports the fields that name reference data that does
// not exist; validation tags cannot know the reference data.
func checkAuthorityReferences(ref referenceData, in authorityInput, prefix string) []FieldError {
	var errs []FieldError
	bad := func(field, rule, value string) {
		errs = append(errs, FieldError{Field: prefix + field, Rule: rule, Param: value})
	}
	if !ref.HasCountry(in.Country) {
		bad("country", "known_country", in.Country)
	}
	if !ref.HasLanguage(in.OfficialNameLang) {
		bad("official_name_lang", "known_language", in.OfficialNameLang)
	}
	for _, lang := range sortedMapKeys(in.Designation) {
		if !ref.HasLanguage(lang) {
			bad("designation."+lang, "known_language", lang)
		}
	}
	for _, lang := range sortedMapKeys(in.Description) {
		if !ref.HasLanguage(lang) {
			bad("description."+lang, "known_language", lang)
		}
	}
	seen := map[string]bool{}
	for i, a := range in.Areas {
		field := "areas[" + itoa(i) + "]"
		if !ref.HasArea(a.Area) {
			bad(field+".area", "known_area", a.Area)
			continue
		}
		if seen[a.Area] {
			bad(field+".area", "unique", a.Area)
		}
		seen[a.Area] = true
		for j, comp := range a.Competences {
			if !ref.HasCompetence(a.Area, comp) {
				bad(field+".competences["+itoa(j)+"]", "known_competence", comp)
			}
		}
	}
	return errs
}

// authorityModel turns validated input into the record, with the text the
// search index holds: names, designations and descriptions as written.
func authorityModel(ref referenceData, in authorityInput, kind models.AuthorityKind, status models.AuthorityStatus) *models.Authority {
	a := &models.Authority{
		Kind: kind, CountryCode: in.Country, Region: strings.TrimSpace(in.Region), Level: in.Level,
		OfficialName: strings.TrimSpace(in.OfficialName), OfficialNameLang: in.OfficialNameLang,
		Designation: in.Designation, Description: in.Description,
		Street: in.Address.Street, PostalCode: in.Address.PostalCode, City: in.Address.City,
		FunctionalMailbox: models.NormalizeEmail(in.FunctionalMailbox), Phone: in.Phone, Status: status,
	}
	names := []string{a.OfficialName, a.City, a.Region}
	for _, lang := range sortedMapKeys(in.Designation) {
		names = append(names, in.Designation[lang])
	}
	var details []string
	for _, lang := range sortedMapKeys(in.Description) {
		details = append(details, in.Description[lang])
	}
	// Competences are found through the reference data's index of their
	// labels and keywords, not copied into every authority's document.
	for _, area := range in.Areas {
		comps := append([]string(nil), area.Competences...)
		sort.Strings(comps)
		a.Areas = append(a.Areas, models.AuthorityArea{AreaCode: area.Area, Competences: comps})
	}
	a.SearchText = strings.Join(names, " ")
	a.SearchDetails = strings.Join(details, " ")
	return a
}

func sortedMapKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkNewAuthority checks an authority and its first user's language
// against the reference data; a competent authority must name at least one
// area it works in.
func checkNewAuthority(ref referenceData, in authorityInput, firstUserLang string, needsArea bool) []FieldError {
	errs := checkAuthorityReferences(ref, in, "authority.")
	if !ref.HasLanguage(firstUserLang) {
		errs = append(errs, FieldError{Field: "first_user.language", Rule: "known_language", Param: firstUserLang})
	}
	if needsArea && len(in.Areas) == 0 {
		errs = append(errs, FieldError{Field: "authority.areas", Rule: "at_least_one_area"})
	}
	return errs
}
