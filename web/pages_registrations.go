package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/models"
)

// The registration pages land the mails about an authority's registration:
// the invitation (/register?invitation=…) and the coordinators' notices
// (/registrations/<id>), over the same use cases as the API.

// option is one entry of a select or a list of checkboxes.
type option struct {
	Value, Label string
	Selected     bool
}

type registerData struct {
	Invitation string
	Countries  []option
	Languages  []option
	Levels     []option
	Areas      []option
	Done       bool
}

// registerOptions are the choices of the registration form, in the
// reader's language, with what they picked before marked.
func (h *Handler) registerOptions(p *Page, invitation string) registerData {
	d := registerData{Invitation: invitation}
	picked := func(field, value string) bool {
		for _, v := range p.Form[field] {
			if v == value {
				return true
			}
		}
		return false
	}
	for _, c := range h.catalog.Countries() {
		name, _, _ := c.Name.In(p.Lang)
		d.Countries = append(d.Countries, option{Value: c.Code, Label: name, Selected: picked("authority.country", c.Code)})
	}
	for _, l := range h.catalog.Languages() {
		d.Languages = append(d.Languages, option{Value: l.Code, Label: l.Code + " – " + l.Name, Selected: picked("first_user.language", l.Code)})
	}
	for _, level := range []models.Level{models.National, models.Regional, models.Local} {
		d.Levels = append(d.Levels, option{Value: string(level), Label: p.T("level." + string(level)), Selected: picked("authority.level", string(level))})
	}
	for _, a := range h.catalog.Areas() {
		name, _, _ := a.Name.In(p.Lang)
		d.Areas = append(d.Areas, option{Value: a.Code, Label: name, Selected: picked("authority.areas", a.Code)})
	}
	return d
}

// registerForm is where the invitation mail's link lands.
func (h *Handler) registerForm(w http.ResponseWriter, r *http.Request) {
	reader, account := h.readerOf(r)
	p := h.page(w, r, reader, account, "register.title")
	invitation := r.URL.Query().Get("invitation")
	status := http.StatusOK
	if invitation == "" {
		p.Problem = p.T("link.incomplete")
		status = http.StatusBadRequest
	}
	p.Data = h.registerOptions(p, invitation)
	h.render(w, r, status, "registrations/register", p)
}

// register records the invited authority and its first user, for the
// coordinator's decision.
func (h *Handler) register(w http.ResponseWriter, r *http.Request) {
	f := r.PostForm
	lang := f.Get("authority.official_name_lang")
	in := cases.RegisterInput{
		InvitationToken: f.Get("invitation"),
		Authority: cases.AuthorityInput{
			OfficialName: f.Get("authority.official_name"), OfficialNameLang: lang,
			Country: f.Get("authority.country"), Region: f.Get("authority.region"),
			Level:             models.Level(f.Get("authority.level")),
			FunctionalMailbox: f.Get("authority.functional_mailbox"), Phone: f.Get("authority.phone"),
			Address: cases.AddressInput{Street: f.Get("authority.address.street"), PostalCode: f.Get("authority.address.postal_code"), City: f.Get("authority.address.city")},
		},
		FirstUser: cases.RegistrationUserInput{
			NewUserInput: cases.NewUserInput{Email: f.Get("first_user.email"), DisplayName: f.Get("first_user.display_name"), Language: f.Get("first_user.language")},
			Password:     f.Get("first_user.password"),
		},
	}
	if d := strings.TrimSpace(f.Get("authority.designation")); d != "" {
		in.Authority.Designation = map[string]string{lang: d}
	}
	for _, area := range f["authority.areas"] {
		in.Authority.Areas = append(in.Authority.Areas, cases.AreaInput{Area: area, Competences: []string{}})
	}
	reader, account := h.readerOf(r)
	p := h.page(w, r, reader, account, "register.title")
	_, err := h.cases.Register(r.Context(), h.caller(r), in)
	if err == nil {
		p.Notice = p.T("register.done")
		data := h.registerOptions(p, "")
		data.Done = true
		p.Data = data
		h.render(w, r, http.StatusOK, "registrations/register", p)
		return
	}
	p.Form = f
	p.Form.Del("first_user.password")
	status, ok := h.useCaseError(p, err)
	if !ok {
		h.fail(w, r, err)
		return
	}
	if e := cases.AsError(err); e.Kind == cases.Gone || e.Kind == cases.NotFound {
		p.Problem = p.T("register.invitation_gone")
	}
	p.Data = h.registerOptions(p, in.InvitationToken)
	h.render(w, r, status, "registrations/register", p)
}

type registrationData struct {
	View        cases.RegistrationView
	AreaName    map[string]string
	CountryName string
	Pending     bool
}

// registrationPage is where the mails about a registration link to: a
// coordinator of its scope reads it and decides.
func (h *Handler) registrationPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "registration.title")
	if done := r.URL.Query().Get("done"); done == "approve" || done == "reject" {
		p.Notice = p.T("registration.done." + done)
	}
	h.showRegistration(w, r, c, p, http.StatusOK)
}

func (h *Handler) showRegistration(w http.ResponseWriter, r *http.Request, c cases.Caller, p *Page, status int) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	view, err := h.cases.GetRegistration(r.Context(), c, cases.RegistrationInput{ID: id})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	data := registrationData{View: view, AreaName: map[string]string{}, Pending: view.Status == models.RegistrationPending}
	data.CountryName = view.Authority.Country
	if country, ok := h.catalog.Country(view.Authority.Country); ok {
		data.CountryName, _, _ = country.Name.In(p.Lang)
	}
	for _, a := range view.Authority.Areas {
		if area, ok := h.catalog.Area(a.Area); ok {
			data.AreaName[a.Area], _, _ = area.Name.In(p.Lang)
		}
	}
	p.Data = data
	h.render(w, r, status, "registrations/show", p)
}

// decideRegistration approves or rejects, through the same use cases as
// the API.
func (h *Handler) decideRegistration(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	decision := r.PathValue("decision")
	switch decision {
	case "approve":
		_, err = h.cases.ApproveRegistration(r.Context(), c, cases.RegistrationInput{ID: id})
	case "reject":
		_, err = h.cases.RejectRegistration(r.Context(), c, cases.RejectRegistrationInput{ID: id, Reason: r.PostFormValue("reason")})
	default:
		h.fail(w, r, errNotFound)
		return
	}
	if err == nil {
		http.Redirect(w, r, "/registrations/"+url.PathEscape(id.String())+"?done="+decision, http.StatusSeeOther)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "registration.title")
	status, ok := h.useCaseError(p, err)
	if !ok || status == http.StatusNotFound {
		h.fail(w, r, err)
		return
	}
	h.showRegistration(w, r, c, p, status)
}
