package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/models"
)

// A coordinator registers an authority of its scope directly, beside
// inviting it (/invitations): the authority is active at once and its
// first user activates from the mail. The form's fields are named as the
// API's JSON (authority.official_name, first_user.email, ...), so the use
// case's field errors land beside them.

type newAuthorityData struct {
	CountryName string
	// NameLanguages are the choices of the official name's language,
	// UserLanguages the first user's.
	NameLanguages []option
	UserLanguages []option
	Levels        []option
	Areas         []areaChoice
}

// areaChoice is an area's checkbox with its competences'.
type areaChoice struct {
	option
	Competences []option
}

// newAuthorityOptions are the form's choices in the reader's language, with
// what was posted ticked again.
func (h *Handler) newAuthorityOptions(p *Page, c cases.Caller) newAuthorityData {
	d := newAuthorityData{}
	reg := h.registerOptions(p, "")
	d.UserLanguages, d.Levels = reg.Languages, reg.Levels
	for _, l := range reg.Languages {
		d.NameLanguages = append(d.NameLanguages, option{Value: l.Value, Label: l.Label, Selected: p.Form.Get("authority.official_name_lang") == l.Value})
	}
	if b := c.Principal.Body; b != nil {
		d.CountryName = b.Country
		if country, ok := h.catalog.Country(b.Country); ok {
			d.CountryName, _, _ = country.Name.In(p.Lang)
		}
	}
	ticked := func(field, value string) bool {
		for _, v := range p.Form[field] {
			if v == value {
				return true
			}
		}
		return false
	}
	for _, a := range h.catalog.Areas() {
		name, _, _ := a.Name.In(p.Lang)
		ac := areaChoice{option: option{Value: a.Code, Label: name, Selected: ticked("authority.areas", a.Code)}}
		for _, comp := range a.Competences {
			label, _, _ := comp.Label.In(p.Lang)
			ac.Competences = append(ac.Competences, option{Value: comp.Code, Label: label, Selected: ticked(competencesField(a.Code), comp.Code)})
		}
		d.Areas = append(d.Areas, ac)
	}
	return d
}

// competencesField names the checkboxes of an area's competences.
func competencesField(area string) string { return "authority.competences." + area }

// registerAuthorityInput reads the form; the country is the coordinator's
// own, which the use case's policy checks like any other.
func registerAuthorityInput(f url.Values, c cases.Caller) cases.RegisterAuthorityInput {
	get := func(name string) string { return strings.TrimSpace(f.Get(name)) }
	lang := get("authority.official_name_lang")
	in := cases.RegisterAuthorityInput{
		Authority: cases.AuthorityInput{
			OfficialName: get("authority.official_name"), OfficialNameLang: lang,
			Region: get("authority.region"), Level: models.Level(get("authority.level")),
			FunctionalMailbox: get("authority.functional_mailbox"), Phone: get("authority.phone"),
			Address: cases.AddressInput{Street: get("authority.address.street"), PostalCode: get("authority.address.postal_code"), City: get("authority.address.city")},
		},
		FirstUser: cases.NewUserInput{Email: get("first_user.email"), DisplayName: get("first_user.display_name"), Language: get("first_user.language")},
	}
	if b := c.Principal.Body; b != nil {
		in.Authority.Country = b.Country
	}
	if d := get("authority.designation"); d != "" {
		in.Authority.Designation = map[string]string{lang: d}
	}
	for _, area := range f["authority.areas"] {
		in.Authority.Areas = append(in.Authority.Areas, cases.AreaInput{Area: area, Competences: append([]string{}, f[competencesField(area)]...)})
	}
	return in
}

// newAuthorityForm is the coordinator's form; other officials are told
// their roles do not open it.
func (h *Handler) newAuthorityForm(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	reader := h.readerOfCaller(c)
	if !reader.Coordinator {
		h.fail(w, r, cases.ForbiddenError("the registration of authorities"))
		return
	}
	p := h.page(w, r, reader, c.Language, "authorities.new.title")
	p.Labels = "authorities.new.field."
	p.Data = h.newAuthorityOptions(p, c)
	h.render(w, r, http.StatusOK, "coordinators/authority", p)
}

// registerAuthority registers the authority through the same use case as
// the API, then shows its page in the directory.
func (h *Handler) registerAuthority(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	created, err := h.cases.RegisterAuthority(r.Context(), c, registerAuthorityInput(r.PostForm, c))
	if err == nil {
		http.Redirect(w, r, "/authorities/"+url.PathEscape(created.Authority.ID.String())+"?done=registered", http.StatusSeeOther)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "authorities.new.title")
	p.Labels = "authorities.new.field."
	p.Form = r.PostForm
	status, ok := h.useCaseError(p, err)
	if !ok || status == http.StatusNotFound {
		h.fail(w, r, err)
		return
	}
	p.Data = h.newAuthorityOptions(p, c)
	h.render(w, r, status, "coordinators/authority", p)
}
