package browsertest

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// draftOf has an official begin a draft over the API and returns its id.
func draftOf(t *testing.T, sys *systemtest.System, who, to systemtest.Official, subject string) string {
	t.Helper()
	r := sys.Do(t, http.MethodPost, "/api/v1/requests", who.Token, map[string]any{
		"area": "services", "responding_authority": to.AuthorityID.String(),
		"subject": subject, "subject_lang": "pl", "questions": []string{"legally-established"},
		"personal_data": map[string]string{"name": "Jan Kowalski"},
		"needed_by":     time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02"),
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("draft: %d %s", r.Status, r.Body)
	}
	var draft struct {
		ID string `json:"id"`
	}
	r.JSON(t, &draft)
	return draft.ID
}

func TestDrafts_APolishOfficialComesBackToADraftFromTheMenuChangesItAndSendsIt(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	de := sys.Authority(t, "DE", "Bayern", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	pl := sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	readsIn(t, sys, pl, "pl")
	id := draftOf(t, sys, pl, de, "Firma budowlana Kowalski")
	// Another authority's draft is not on the list.
	other := sys.Authority(t, "PL", "Mazowieckie", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	draftOf(t, sys, other, de, "Cudzy szkic")

	b := newBrowserIn(t, sys, "pl")
	b.open("/")
	b.signIn(pl)
	// The home page's drafts tray and the menu both lead to the list.
	if got := b.text(`.trays a[href="/drafts"]`); !strings.Contains(got, "1") {
		t.Errorf("the drafts tray reads %q", got)
	}
	b.submit(`nav.menu a[href="/drafts"]`)
	if got := b.text("main h1"); got != "Wersje robocze" {
		t.Errorf("the drafts page is titled %q", got)
	}
	list := b.text("main table")
	if !strings.Contains(list, "Firma budowlana Kowalski") || strings.Contains(list, "Cudzy szkic") {
		t.Errorf("the drafts list reads %q", list)
	}
	b.check("drafts-pl")

	b.submit(`main table a[href="/requests/` + id + `/edit"]`)
	if p := b.path(); p != "/requests/"+id+"/edit" {
		t.Fatalf("the draft's link leads to %s", p)
	}
	b.fill("subject", "Firma budowlana Kowalski (Gdańsk)")
	b.submit(`form[action="/requests/` + id + `/edit"] button[type=submit]`)
	if got := b.text("main h1"); !strings.Contains(got, "Gdańsk") {
		t.Errorf("the changed draft reads %q", got)
	}
	// The draft's own page leads back to its edit page.
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll('main a[href="/requests/`+id+`/edit"]').length`)); n != 1 {
		t.Errorf("the draft's page has %d links to its edit page", n)
	}
	b.check("draft-edited-pl")
	b.submit(`form[action$="/send"] button`)
	if got := b.text(".eyebrow"); !strings.Contains(got, "Oczekuje na przyjęcie") {
		t.Errorf("after sending the state reads %q", got)
	}

	// An authority that coordinates nothing registers no authority: the
	// menu does not offer it and the page is refused.
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll('nav.menu a[href="/authorities/new"]').length`)); n != 0 {
		t.Errorf("a competent authority's menu offers the registration of authorities")
	}
	if status := pageStatus(t, b, "/authorities/new"); status != http.StatusForbidden {
		t.Errorf("a competent authority's official opens the registration of authorities: %d", status)
	}

	// Sent, it has left the drafts.
	b.open("/drafts")
	if got := b.text("main"); strings.Contains(got, "Kowalski") {
		t.Errorf("the sent request is still among the drafts: %q", got)
	}
	mailLink(t, sys, de.Email, "/requests/"+id)
}

func TestRegisterAuthority_ACoordinatorRegistersAnAuthorityOfItsCountryDirectly(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	coordinator := sys.NationalCoordinator(t, "PL")
	readsIn(t, sys, coordinator, "pl")

	b := newBrowserIn(t, sys, "pl")
	b.open("/invitations")
	b.signIn(coordinator)
	// The invitation page and the menu lead to the registration.
	b.submit(`main a[href="/authorities/new"]`)
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll('nav.menu a[href="/authorities/new"]').length`)); n != 1 {
		t.Errorf("the menu has %d links to the registration", n)
	}
	b.check("authority-new-pl")

	firstUser := systemtest.UniqueEmail("gdansk")
	b.fill("authority.official_name", "Powiatowy Inspektorat Nadzoru Budowlanego w Gdańsku",
		"authority.functional_mailbox", "not-an-address",
		"first_user.display_name", "Anna Nowak", "first_user.email", firstUser)
	b.choose("authority.official_name_lang", "pl")
	b.choose("authority.level", "local")
	b.choose("authority.areas", "services")
	b.run(chromedp.Evaluate[chromedp.Void](`document.querySelector('details.competences').open = true`))
	b.choose("authority.competences.services", "construction")
	b.choose("first_user.language", "pl")
	b.submit(`form[action="/authorities/new"] button[type=submit]`)
	// The bad mailbox is refused beside its field, and what was typed and
	// ticked is kept.
	if got := b.text(`#f-authority-functional_mailbox-error`); !strings.Contains(got, "Podaj adres e-mail") {
		t.Errorf("the mailbox's error reads %q", got)
	}
	if got := b.text(".error-summary"); !strings.Contains(got, "Skrzynka funkcyjna") {
		t.Errorf("the error summary reads %q", got)
	}
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll('input[name="authority.competences.services"]:checked, input[name="authority.areas"]:checked').length`)); n != 2 {
		t.Errorf("%d boxes stay ticked after the refusal, want 2", n)
	}
	b.check("authority-new-errors-pl")

	b.fill("authority.functional_mailbox", systemtest.UniqueEmail("pinb-gdansk"))
	b.submit(`form[action="/authorities/new"] button[type=submit]`)
	if p := b.path(); !strings.HasPrefix(p, "/authorities/") || !strings.HasSuffix(p, "?done=registered") {
		t.Fatalf("after registering the coordinator is at %s: %q", p, b.text("main"))
	}
	if got := b.text("main h1"); got != "Powiatowy Inspektorat Nadzoru Budowlanego w Gdańsku" {
		t.Errorf("the authority's page is titled %q", got)
	}
	if got := b.text(".notice--success"); !strings.Contains(got, "zarejestrowany") {
		t.Errorf("the authority's page says %q", got)
	}
	if got := b.text("main"); !strings.Contains(got, "Roboty budowlane") {
		t.Errorf("the authority's page lacks its competence: %q", got)
	}
	b.check("authority-registered-pl")
	mailLink(t, sys, firstUser, "/activate?token=")
}
