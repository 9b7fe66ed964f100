package cases

import (
	"sort"
	"strconv"
	"strings"

	"github.com/openimi/openimi/models"
)

// AddressInput is an authority's postal address.
type AddressInput struct {
	Street     string `json:"street" form:"street" binding:"max=200"`
	PostalCode string `json:"postal_code" form:"postal_code" binding:"max=20"`
	City       string `json:"city" form:"city" binding:"max=100"`
}

// AreaInput is an area an authority works in, with the competences it
// holds there.
type AreaInput struct {
	Area        string   `json:"area" form:"area" binding:"required,max=60"`
	Competences []string `json:"competences" form:"competences" binding:"max=300,dive,required,max=80"`
}

// AuthorityInput is an authority as a registering official or a
// coordinator describes it.
type AuthorityInput struct {
	OfficialName      string            `json:"official_name" binding:"required,max=300"`
	OfficialNameLang  string            `json:"official_name_lang" binding:"required,len=2,lowercase"`
	Designation       map[string]string `json:"designation" binding:"max=40,dive,keys,len=2,lowercase,endkeys,required,max=300"`
	Description       map[string]string `json:"description" binding:"max=40,dive,keys,len=2,lowercase,endkeys,max=4000"`
	Country           string            `json:"country" binding:"required,len=2,uppercase"`
	Region            string            `json:"region" binding:"max=100"`
	Level             models.Level      `json:"level" binding:"required,oneof=national regional local"`
	Address           AddressInput      `json:"address"`
	FunctionalMailbox string            `json:"functional_mailbox" binding:"required,email,max=254"`
	Phone             string            `json:"phone" binding:"max=40"`
	Areas             []AreaInput       `json:"areas" binding:"max=20,dive"`
}

// NewUserInput is an official to be given an account.
type NewUserInput struct {
	Email       string `json:"email" form:"email" binding:"required,email,max=254"`
	DisplayName string `json:"display_name" form:"display_name" binding:"required,max=200"`
	Language    string `json:"language" form:"language" binding:"required,len=2,lowercase"`
}

// RoleInput grants a role, for an area when the role is per area.
type RoleInput struct {
	Role models.Role `json:"role" form:"role" binding:"required,oneof=request_handler allocator local_data_administrator coordinator"`
	Area string      `json:"area" form:"area" binding:"max=60"`
}

// fieldIndex is a slice element's place in a field's path.
func fieldIndex(i int) string { return "[" + strconv.Itoa(i) + "]" }

// checkAuthorityReferences names the fields that refer to reference data
// that does not exist; validation tags cannot know the reference data.
func (s *Service) checkAuthorityReferences(in AuthorityInput, prefix string) []FieldError {
	var errs []FieldError
	bad := func(field, rule, value string) {
		errs = append(errs, FieldError{Field: prefix + field, Rule: rule, Param: value})
	}
	if _, ok := s.catalog.Country(in.Country); !ok {
		bad("country", "known_country", in.Country)
	}
	// An authority names itself in its own language: regional official
	// ones (Catalan, Basque, ...) included.
	if _, ok := s.catalog.NameLanguage(in.OfficialNameLang); !ok {
		bad("official_name_lang", "known_language", in.OfficialNameLang)
	}
	for _, lang := range sortedKeys(in.Designation) {
		if _, ok := s.catalog.NameLanguage(lang); !ok {
			bad("designation."+lang, "known_language", lang)
		}
	}
	for _, lang := range sortedKeys(in.Description) {
		if _, ok := s.catalog.NameLanguage(lang); !ok {
			bad("description."+lang, "known_language", lang)
		}
	}
	seen := map[string]bool{}
	for i, a := range in.Areas {
		field := "areas" + fieldIndex(i)
		if !s.hasArea(a.Area) {
			bad(field+".area", "known_area", a.Area)
			continue
		}
		if seen[a.Area] {
			bad(field+".area", "unique", a.Area)
		}
		seen[a.Area] = true
		for j, comp := range a.Competences {
			if !s.hasCompetence(a.Area, comp) {
				bad(field+".competences"+fieldIndex(j), "known_competence", comp)
			}
		}
	}
	return errs
}

func (s *Service) hasLanguage(code string) bool {
	_, ok := s.catalog.Language(code)
	return ok
}

func (s *Service) hasArea(code string) bool {
	_, ok := s.catalog.Area(code)
	return ok
}

func (s *Service) hasCompetence(area, code string) bool {
	a, ok := s.catalog.Area(area)
	if !ok {
		return false
	}
	for _, c := range a.Competences {
		if c.Code == code {
			return true
		}
	}
	return false
}

// checkNewAuthority checks an authority and its first user's language
// against the reference data; a competent authority must name at least one
// area it works in.
func (s *Service) checkNewAuthority(in AuthorityInput, firstUserLang string, needsArea bool) []FieldError {
	errs := s.checkAuthorityReferences(in, "authority.")
	if !s.hasLanguage(firstUserLang) {
		errs = append(errs, FieldError{Field: "first_user.language", Rule: "known_language", Param: firstUserLang})
	}
	if needsArea && len(in.Areas) == 0 {
		errs = append(errs, FieldError{Field: "authority.areas", Rule: "at_least_one_area"})
	}
	return errs
}

// authorityModel turns validated input into the record, with the text the
// search index holds: names, designations and descriptions as written.
func authorityModel(in AuthorityInput, kind models.AuthorityKind, status models.AuthorityStatus) *models.Authority {
	a := &models.Authority{
		Kind: kind, CountryCode: in.Country, Region: strings.TrimSpace(in.Region), Level: in.Level,
		OfficialName: strings.TrimSpace(in.OfficialName), OfficialNameLang: in.OfficialNameLang,
		Designation: in.Designation, Description: in.Description,
		Street: in.Address.Street, PostalCode: in.Address.PostalCode, City: in.Address.City,
		FunctionalMailbox: models.NormalizeEmail(in.FunctionalMailbox), Phone: in.Phone, Status: status,
	}
	names := []string{a.OfficialName, a.City, a.Region}
	for _, lang := range sortedKeys(in.Designation) {
		names = append(names, in.Designation[lang])
	}
	var details []string
	for _, lang := range sortedKeys(in.Description) {
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

// checkRoles refuses roles the authority cannot hold: per-area roles need
// an area the authority works in, authority-wide ones none, and only a
// coordinator body has coordinators.
func checkRoles(a models.Authority, roles []RoleInput, field string) ([]models.UserRole, []FieldError) {
	areas := map[string]bool{}
	for _, area := range a.Areas {
		areas[area.AreaCode] = true
	}
	var out []models.UserRole
	var errs []FieldError
	seen := map[models.UserRole]bool{}
	for i, r := range roles {
		f := field + fieldIndex(i)
		switch {
		case r.Role.PerArea() && !areas[r.Area]:
			errs = append(errs, FieldError{Field: f + ".area", Rule: "area_of_the_authority", Param: r.Area})
			continue
		case !r.Role.PerArea() && r.Area != "":
			errs = append(errs, FieldError{Field: f + ".area", Rule: "authority_wide_role_takes_no_area", Param: r.Area})
			continue
		case r.Role == models.CoordinatorRole && !a.Kind.IsCoordinator():
			errs = append(errs, FieldError{Field: f + ".role", Rule: "coordinator_body_only", Param: string(r.Role)})
			continue
		}
		ur := models.UserRole{Role: r.Role, AreaCode: r.Area}
		if !seen[ur] {
			seen[ur] = true
			out = append(out, ur)
		}
	}
	return out, errs
}

func hasRole(roles []models.UserRole, role models.Role) bool {
	for _, r := range roles {
		if r.Role == role {
			return true
		}
	}
	return false
}
