package browsertest

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// sentRequest has a German official send a request to a Polish authority
// over the API, and returns its id.
func sentRequest(t *testing.T, sys *systemtest.System) (id string, requester, responder systemtest.Official) {
	t.Helper()
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	requester = sys.Authority(t, "DE", "Bayern", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	responder = sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{
		{Role: models.RequestHandler, AreaCode: "services"}, {Role: models.Allocator, AreaCode: "services"}})
	r := sys.Do(t, http.MethodPost, "/api/v1/requests", requester.Token, map[string]any{
		"area": "services", "responding_authority": responder.AuthorityID.String(),
		"subject": "Bauunternehmen Kowalski Sp. z o.o.", "subject_lang": "de",
		"questions": []string{"legally-established", "registration-date", "sanctions"},
		"free_text": "Der Inhaber Jan Kowalski bietet in Bayern Bauleistungen an.", "free_text_lang": "de",
		"personal_data": map[string]string{"name": "Jan Kowalski", "date_of_birth": "1975-03-14"},
		"needed_by":     time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02"),
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("draft: %d %s", r.Status, r.Body)
	}
	var draft struct {
		ID string `json:"id"`
	}
	r.JSON(t, &draft)
	if r := sys.Do(t, http.MethodPost, "/api/v1/requests/"+draft.ID+"/send", requester.Token, nil); r.Status != http.StatusOK {
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	return draft.ID, requester, responder
}

func TestRequestPage_AMailLinkLeadsThroughSignInToTheRequestWhichShowsNoPersonalDataBeforeAcceptance(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	id, _, responder := sentRequest(t, sys)
	link := mailLink(t, sys, responder.Email, "/requests/"+id)

	b := newBrowser(t, sys)
	b.open(link)
	if p := b.path(); !strings.HasPrefix(p, "/sign-in?next=%2Frequests%2F"+id) {
		t.Fatalf("a signed-out official following the mail's link is at %s", p)
	}
	b.fill("email", responder.Email, "password", systemtest.ActivePassword)
	b.submit(`main button[type=submit]`)
	if p := b.path(); p != "/requests/"+id {
		t.Fatalf("after sign-in the official is at %s, not the request", p)
	}
	main := b.text("main")
	if strings.Contains(main, "Jan Kowalski") || strings.Contains(main, "1975") {
		t.Errorf("before acceptance the responding official reads personal data: %q", main)
	}
	if !strings.Contains(main, "accepted the request") {
		t.Errorf("the page does not say why the personal data are hidden: %q", main)
	}
	b.check("request-before-acceptance")

	// Accepting through the page's form shows the personal data.
	b.run(chromedp.Click(chromedp.CSS(`details:has(form[action$="/actions/accept"]) summary`)))
	b.submit(`form[action$="/actions/accept"] button[type=submit]`)
	if p := b.path(); p != "/requests/"+id+"?done=accept" {
		t.Fatalf("after accepting the official is at %s", p)
	}
	if main := b.text("main"); !strings.Contains(main, "Jan Kowalski") {
		t.Errorf("after acceptance the personal data are not shown: %q", main)
	}
	b.check("request-accepted")

	// A file is added from the page and listed for download.
	file := filepath.Join(t.TempDir(), "wpis-krs.txt")
	if err := os.WriteFile(file, []byte("Wpis do KRS nr 0000123456\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.SetUploadFiles(chromedp.CSS(`input[type=file]`), []string{file}))
	b.submit(`form[action$="/attachments"] button[type=submit]`)
	if got := b.text("main"); !strings.Contains(got, "wpis-krs.txt") {
		t.Errorf("the uploaded file is not listed: %q", got)
	}
	href := value(b, chromedp.AttributeValue(chromedp.CSS(`a[download]`), "href")).Value
	req, err := http.NewRequest(http.MethodGet, b.url(href), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "__Host-openimi_session", Value: sessionToken(t, b)})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	content, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(content) != "Wpis do KRS nr 0000123456\n" || !strings.Contains(resp.Header.Get("Content-Disposition"), "wpis-krs.txt") {
		t.Errorf("the download answers %d %q %q", resp.StatusCode, content, resp.Header.Get("Content-Disposition"))
	}

	b.open("/")
	b.check("home-trays")
	b.open("/requests?box=incoming")
	if got := b.text("main table"); !strings.Contains(got, "IMI-") {
		t.Errorf("the incoming box lists %q", got)
	}
	b.check("box-incoming")
}

func TestRequestPage_AThirdCountrysOfficialFollowingACopiedLinkSeesNotFoundAndNoPersonalData(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	id, _, _ := sentRequest(t, sys)
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	outsider := sys.Authority(t, "FR", "", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}, {Role: models.Allocator, AreaCode: "services"}})

	b := newBrowser(t, sys)
	b.open("/requests/" + id)
	b.fill("email", outsider.Email, "password", systemtest.ActivePassword)
	b.submit(`main button[type=submit]`)
	if p := b.path(); p != "/requests/"+id {
		t.Fatalf("after sign-in the outsider is at %s", p)
	}
	main := b.text("main")
	if !strings.Contains(main, "does not exist") {
		t.Errorf("the outsider reads %q, want not found", main)
	}
	for _, secret := range []string{"Kowalski", "1975", "Bauunternehmen", "IMI-"} {
		if strings.Contains(main, secret) {
			t.Errorf("the outsider reads %q on the page", secret)
		}
	}
	b.check("request-not-found")

	// The page answers 404, as the API does for the same outsider.
	page := pageStatus(t, b, "/requests/"+id)
	api := sys.Do(t, http.MethodGet, "/api/v1/requests/"+id, outsider.Token, nil).Status
	if page != http.StatusNotFound || api != http.StatusNotFound {
		t.Errorf("the outsider gets %d from the page and %d from the API, want 404 from both", page, api)
	}
}
