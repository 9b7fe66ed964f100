package browsertest

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/system/systemtest"
)

// handlingColleague puts a second official of the responder's authority in
// place who handles requests of the services area, and returns their id
// and name.
func handlingColleague(t *testing.T, sys *systemtest.System, responder systemtest.Official) (id, name string) {
	t.Helper()
	c := sys.Authority(t, "PL", "Pomorskie", nil, nil)
	db := sys.Store.DB()
	if err := db.Exec("UPDATE users SET authority_id = ?, display_name = 'Anna Nowak' WHERE id = ?", responder.AuthorityID, c.UserID).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO user_roles (user_id, role, area_code) VALUES (?, 'request_handler', 'services')", c.UserID).Error; err != nil {
		t.Fatal(err)
	}
	return c.UserID.String(), "Anna Nowak"
}

func TestBoxes_ListTheOtherPartyAndTheOverdueInWordsFilterAndFindByReference(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	id, requester, responder := sentRequest(t, sys)
	db := sys.Store.DB()
	var reference, requesterName string
	if err := db.Raw("SELECT reference FROM requests WHERE id = ?", id).Row().Scan(&reference); err != nil {
		t.Fatal(err)
	}
	if err := db.Raw("SELECT official_name FROM authorities WHERE id = ?", requester.AuthorityID).Row().Scan(&requesterName); err != nil {
		t.Fatal(err)
	}
	// The request's reply date passed days ago: it is overdue.
	if err := db.Exec("UPDATE requests SET sent_at = now() - interval '30 days', reply_due = now() - interval '5 days' WHERE id = ?", id).Error; err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t, sys)
	b.open("/requests?box=incoming")
	b.signIn(responder)
	row := b.text("main table tbody tr")
	for _, want := range []string{reference, requesterName, "Germany", "Services", "overdue"} {
		if !strings.Contains(row, want) {
			t.Errorf("the incoming box's row reads %q, without %q", row, want)
		}
	}
	if n := value(b, chromedp.Evaluate[int](`document.querySelectorAll("main td.overdue strong").length`)); n != 1 {
		t.Errorf("%d overdue deadlines marked in words and red, want 1", n)
	}
	b.check("box-incoming-overdue")

	// The filters: not overdue lists nothing, overdue of the area lists it.
	b.choose("overdue", "false")
	b.submit(`form.filters:not([role=search]) button[type=submit]`)
	if got := b.text("main"); !strings.Contains(got, "No request here") {
		t.Errorf("the box filtered on not overdue reads %q", got)
	}
	b.choose("overdue", "true")
	b.choose("area", "services")
	b.submit(`form.filters:not([role=search]) button[type=submit]`)
	if got := b.text("main table tbody"); !strings.Contains(got, reference) {
		t.Errorf("the box filtered on overdue services reads %q", got)
	}
	if q := b.path(); !strings.Contains(q, "overdue=true") || !strings.Contains(q, "area=services") {
		t.Errorf("the filtered box is at %s", q)
	}
	b.check("box-incoming-filtered")

	// The search by reference opens the request, whatever the case.
	b.fillIn(`form[role=search]`, "reference", strings.ToLower(reference))
	b.submit(`form[role=search] button[type=submit]`)
	if p := b.path(); p != "/requests/"+id {
		t.Errorf("the search for %s leads to %s", reference, p)
	}
	b.open("/requests?box=outgoing")
	b.fillIn(`form[role=search]`, "reference", "IMI-1999-999999")
	b.submit(`form[role=search] button[type=submit]`)
	if got := b.text("main"); !strings.Contains(got, "No request of reference IMI-1999-999999") {
		t.Errorf("an unknown reference reads %q", got)
	}
	b.check("box-reference-not-found")

	// An official of a third country finds nothing by the reference.
	outsider := sys.Authority(t, "FR", "Bretagne", nil, nil)
	other := newBrowser(t, sys)
	other.open("/requests?box=incoming&reference=" + url.QueryEscape(reference))
	other.signIn(outsider)
	if p := other.path(); strings.HasPrefix(p, "/requests/") {
		t.Errorf("a third country's official searching %s is led to %s", reference, p)
	}
	if got := other.text("main"); strings.Contains(got, "Kowalski") || !strings.Contains(got, "No request of reference") {
		t.Errorf("a third country's official searching %s reads %q", reference, got)
	}
}

func TestAssign_PicksAColleagueHandlingTheArea(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	id, _, responder := sentRequest(t, sys)
	colleague, name := handlingColleague(t, sys, responder)

	b := newBrowser(t, sys)
	b.open("/requests/" + id)
	b.signIn(responder)
	b.openAction("assign")
	options := b.text(`form[action$="/actions/assign"] select[name=handler]`)
	if !strings.Contains(options, name) {
		t.Fatalf("the assign form offers %q, without %s", options, name)
	}
	b.check("request-assign-picker")
	b.choose("handler", colleague)
	b.act("assign")
	if p := b.path(); p != "/requests/"+id+"?done=assign" {
		t.Fatalf("after assigning the official is at %s: %q", p, b.text("main"))
	}
	var assigned string
	if err := sys.Store.DB().Raw("SELECT assigned_handler FROM requests WHERE id = ?", id).Row().Scan(&assigned); err != nil {
		t.Fatal(err)
	}
	if assigned != colleague {
		t.Errorf("the request is assigned to %s, want %s", assigned, colleague)
	}
}

func TestLanguage_SwitchedOnThePageWhileSignedInIsTheAccountsAndItsMails(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	id, requester, responder := sentRequest(t, sys)
	language := func() string {
		t.Helper()
		var lang string
		if err := sys.Store.DB().Raw("SELECT preferred_language FROM users WHERE id = ?", responder.UserID).Row().Scan(&lang); err != nil {
			t.Fatal(err)
		}
		return lang
	}
	before := language()

	// Anonymous, the pick stays in the cookie.
	b := newBrowser(t, sys)
	b.open("/sign-in")
	b.submit(`a[hreflang="fr"]`)
	if got := language(); got != before {
		t.Errorf("an anonymous pick changed the account's language to %q", got)
	}
	b.signIn(responder)
	b.submit(`a[hreflang="de"]`)
	if lang := value(b, chromedp.AttributeValue(chromedp.CSS("html"), "lang")); lang.Value != "de" {
		t.Errorf("after picking Deutsch the page is in %q", lang.Value)
	}
	if got := language(); got != "de" {
		t.Errorf("the account's language is %q after picking Deutsch on the page, want de", got)
	}
	b.check("home-de")

	// Sent there by another site, the pick is not saved to the account.
	req, err := http.NewRequest(http.MethodGet, b.url("/?lang=it"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.AddCookie(&http.Cookie{Name: "__Host-openimi_session", Value: sessionToken(t, b)})
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := language(); got != "de" {
		t.Errorf("a pick sent from another site made the account's language %q", got)
	}

	// The mails that follow come in the account's language.
	if r := sys.Do(t, http.MethodPatch, "/api/v1/me", responder.Token, map[string]any{"language": "pl"}); r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"language":"pl"`) {
		t.Errorf("PATCH /me: %d %s", r.Status, r.Body)
	}
	if r := sys.Do(t, http.MethodPatch, "/api/v1/me", responder.Token, map[string]any{"language": "xx"}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("PATCH /me with an unknown language: %d %s, want 422", r.Status, r.Body)
	}
	if got := language(); got != "pl" {
		t.Errorf("after PATCH /me the account's language is %q", got)
	}
	if r := sys.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/withdraw", requester.Token, map[string]any{"text": "Nicht mehr nötig.", "text_lang": "de"}); r.Status != http.StatusOK {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var subjects []string
		for _, m := range sys.Mail.Messages(t, responder.Email) {
			if strings.Contains(m.Subject, "Wniosek wycofany") {
				return
			}
			subjects = append(subjects, m.Subject)
		}
		if time.Now().After(deadline) {
			t.Fatalf("no Polish mail of the withdrawal among %q", subjects)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
