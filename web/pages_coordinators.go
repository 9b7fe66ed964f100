package web

import (
	"net/http"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/models"
)

// The helpdesk registers national (and delegated) coordinators; a
// coordinator invites authorities of its scope to register.

type coordinatorsData struct {
	Kinds, Areas, Countries, Languages, Levels []option
}

func (h *Handler) coordinatorOptions(p *Page) coordinatorsData {
	picked := func(field, value string) bool { return p.Form.Get(field) == value }
	d := coordinatorsData{}
	for _, k := range []models.AuthorityKind{models.NationalCoordinator, models.DelegatedCoordinator} {
		d.Kinds = append(d.Kinds, option{Value: string(k), Label: p.T("kind." + string(k)), Selected: picked("kind", string(k))})
	}
	for _, a := range h.catalog.Areas() {
		name, _, _ := a.Name.In(p.Lang)
		d.Areas = append(d.Areas, option{Value: a.Code, Label: name, Selected: picked("scope_area", a.Code)})
	}
	for _, c := range h.catalog.Countries() {
		name, _, _ := c.Name.In(p.Lang)
		d.Countries = append(d.Countries, option{Value: c.Code, Label: name, Selected: picked("authority.country", c.Code)})
	}
	for _, l := range h.catalog.Languages() {
		d.Languages = append(d.Languages, option{Value: l.Code, Label: l.Code + " – " + l.Name, Selected: picked("language", l.Code)})
	}
	for _, level := range []models.Level{models.National, models.Regional, models.Local} {
		d.Levels = append(d.Levels, option{Value: string(level), Label: p.T("level." + string(level)), Selected: picked("authority.level", string(level))})
	}
	return d
}

func (h *Handler) coordinatorsForm(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "coordinators.title")
	if r.URL.Query().Has("done") {
		p.Notice = p.T("coordinators.done")
	}
	p.Data = h.coordinatorOptions(p)
	h.render(w, r, http.StatusOK, "coordinators/new", p)
}

func (h *Handler) createCoordinator(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	lang := f.Get("authority.official_name_lang")
	in := cases.CreateCoordinatorInput{
		Kind: models.AuthorityKind(f.Get("kind")), ScopeArea: f.Get("scope_area"),
		Authority: cases.AuthorityInput{
			OfficialName: f.Get("authority.official_name"), OfficialNameLang: lang,
			Country: f.Get("authority.country"), Region: f.Get("authority.region"), Level: models.Level(f.Get("authority.level")),
			FunctionalMailbox: f.Get("authority.functional_mailbox"),
		},
		FirstUser: cases.NewUserInput{Email: f.Get("first_user.email"), DisplayName: f.Get("first_user.display_name"), Language: f.Get("first_user.language")},
	}
	if _, err := h.cases.CreateCoordinator(r.Context(), c, in); err != nil {
		p := h.page(w, r, h.readerOfCaller(c), c.Language, "coordinators.title")
		p.Form = f
		status, ok := h.useCaseError(p, err)
		if !ok || status == http.StatusNotFound {
			h.fail(w, r, err)
			return
		}
		p.Data = h.coordinatorOptions(p)
		h.render(w, r, status, "coordinators/new", p)
		return
	}
	http.Redirect(w, r, "/coordinators?done=1", http.StatusSeeOther)
}

// invite asks an authority to register, from the desk.
func (h *Handler) invite(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := cases.InviteInput{Email: f.Get("email"), Language: f.Get("language"), Region: f.Get("region"), Note: f.Get("note")}
	if _, err := h.cases.Invite(r.Context(), c, in); err != nil {
		p := h.page(w, r, h.readerOfCaller(c), c.Language, "invite.title")
		p.Form = f
		status, ok := h.useCaseError(p, err)
		if !ok || status == http.StatusNotFound {
			h.fail(w, r, err)
			return
		}
		p.Data = h.coordinatorOptions(p)
		h.render(w, r, status, "coordinators/invite", p)
		return
	}
	http.Redirect(w, r, "/invitations?done=1", http.StatusSeeOther)
}

func (h *Handler) inviteForm(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "invite.title")
	if r.URL.Query().Has("done") {
		p.Notice = p.T("invite.done")
	}
	p.Data = h.coordinatorOptions(p)
	h.render(w, r, http.StatusOK, "coordinators/invite", p)
}
