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

func TestNewRequest_AnOfficialFindsTheAuthorityAbroadSavesTheDraftAndSendsIt(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	requester := sys.Authority(t, "DE", "Bayern", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	responder := sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})

	b := newBrowser(t, sys)
	b.open("/requests/new")
	b.signIn(requester)
	b.choose("area", "services")
	b.choose("country", "PL")
	b.submit(`form[action="/requests/new"][method="get"] button`)
	b.check("new-request")

	// Saved without a subject, the draft is refused with the field named.
	b.choose("responding_authority", responder.AuthorityID.String())
	b.choose("questions", "legally-established")
	b.submit(`form[action="/requests/new"][method="post"] button[type=submit]`)
	if got := b.text(".error-summary"); !strings.Contains(got, "Subject") {
		t.Errorf("a draft without subject reads %q", got)
	}
	b.check("new-request-errors")

	b.fill("subject", "Bauunternehmen Kowalski Sp. z o.o.", "personal.name", "Jan Kowalski")
	b.run(chromedp.Evaluate[chromedp.Void](`document.querySelector('[name=needed_by]').value = "` + time.Now().AddDate(0, 0, 20).Format("2006-01-02") + `"`))
	b.choose("responding_authority", responder.AuthorityID.String())
	b.choose("questions", "legally-established")
	b.submit(`form[action="/requests/new"][method="post"] button[type=submit]`)
	if p := b.path(); !strings.HasPrefix(p, "/requests/") || !strings.HasSuffix(p, "?done=draft") {
		t.Fatalf("after saving the draft the official is at %s: %q", p, b.text("main"))
	}
	id := strings.TrimSuffix(strings.TrimPrefix(b.path(), "/requests/"), "?done=draft")

	// The official comes back to the draft, changes it, and sends it.
	b.open("/requests?box=outgoing&state=DRAFT")
	b.submit(`main table a[href="/requests/` + id + `"]`)
	b.submit(`a[href="/requests/` + id + `/edit"]`)
	b.fill("subject", "Bauunternehmen Kowalski (Gdańsk)")
	b.choose("questions", "registration-date")
	b.submit(`form[action="/requests/` + id + `/edit"] button[type=submit]`)
	if got := b.text("main h1"); !strings.Contains(got, "Gdańsk") {
		t.Errorf("the changed draft reads %q", got)
	}
	if got := b.text("main"); !strings.Contains(got, "On which date was the provider registered?") {
		t.Errorf("the changed draft lacks the added question: %q", got)
	}
	b.submit(`form[action$="/send"] button`)
	if got := b.text(".eyebrow"); !strings.Contains(got, "Awaiting acceptance") {
		t.Errorf("after sending the state reads %q", got)
	}
	mailLink(t, sys, responder.Email, "/requests/"+id)
}

func TestDraft_IsDeletedFromItsPage(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	requester := sys.Authority(t, "DE", "Bayern", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	responder := sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	r := sys.Do(t, http.MethodPost, "/api/v1/requests", requester.Token, map[string]any{
		"area": "services", "responding_authority": responder.AuthorityID.String(), "subject": "Entwurf", "subject_lang": "de",
		"questions": []string{"legally-established"}, "needed_by": time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02"),
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("draft: %d %s", r.Status, r.Body)
	}
	var draft struct {
		ID string `json:"id"`
	}
	r.JSON(t, &draft)

	b := newBrowser(t, sys)
	b.open("/requests/" + draft.ID)
	b.signIn(requester)
	b.submit(`form[action$="/delete"] button`)
	if p := b.path(); p != "/drafts?done=deleted" {
		t.Errorf("after deleting the draft the browser is at %s", p)
	}
	if status := sys.Do(t, http.MethodGet, "/api/v1/requests/"+draft.ID, requester.Token, nil).Status; status != http.StatusNotFound {
		t.Errorf("the deleted draft answers %d", status)
	}
}
