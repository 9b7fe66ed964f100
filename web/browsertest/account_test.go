package browsertest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// newOfficial has a local data administrator create an account, which
// mails its owner an activation link; it returns the owner's address.
func newOfficial(t *testing.T, sys *systemtest.System) string {
	t.Helper()
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	lda := sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{{Role: models.LocalDataAdministrator}})
	email := systemtest.UniqueEmail("handler")
	r := sys.Do(t, http.MethodPost, "/api/v1/authorities/"+lda.AuthorityID.String()+"/users", lda.Token, map[string]any{
		"email": email, "display_name": "Jan Kowalski", "language": "pl",
		"roles": []map[string]string{{"role": "request_handler", "area": "services"}},
	})
	if r.Status != http.StatusCreated {
		t.Fatalf("create user: %d %s", r.Status, r.Body)
	}
	return email
}

func TestActivation_FromTheMailThenSignInAndOutEndsTheSessionOnTheServer(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	email := newOfficial(t, sys)
	link := mailLink(t, sys, email, "/activate?token=")

	b := newBrowser(t, sys)
	b.open(link)
	b.check("activate")
	b.fill("password", "too short")
	b.submit(`button[type=submit]`)
	if got := b.text(".error-summary"); !strings.Contains(got, "12") {
		t.Errorf("a short password's error summary reads %q", got)
	}
	b.check("activate-error")

	b.fill("password", systemtest.ActivePassword)
	b.submit(`main button[type=submit]`)
	if p := b.path(); !strings.HasPrefix(p, "/sign-in?activated") {
		t.Fatalf("after activation the browser is at %s", p)
	}
	b.check("sign-in")

	// The same link a second time is used up: said plainly, with the way on.
	b.open(link)
	b.fill("password", systemtest.ActivePassword)
	b.submit(`main button[type=submit]`)
	if got := b.text("main"); !strings.Contains(got, "already been used") {
		t.Errorf("a used activation link reads %q", got)
	}
	b.check("activate-used")

	b.open("/sign-in")
	b.fill("email", email, "password", systemtest.ActivePassword)
	b.submit(`main button[type=submit]`)
	if p := b.path(); p != "/" {
		t.Fatalf("after sign-in the browser is at %s", p)
	}
	if got := b.text("main h1"); got == "" {
		t.Error("the home page has no heading")
	}
	b.check("home")

	token := sessionToken(t, b)
	if r := sys.Do(t, http.MethodGet, "/api/v1/me", token, nil); r.Status != http.StatusOK {
		t.Fatalf("the page's session is not a session of the API: %d", r.Status)
	}
	b.submit(`form[action="/sign-out"] button`)
	if p := b.path(); p != "/sign-in?signed_out=1" {
		t.Errorf("after sign-out the browser is at %s", p)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/me", token, nil); r.Status != http.StatusUnauthorized {
		t.Errorf("the signed-out session still works: %d", r.Status)
	}
}

// sessionToken reads the session cookie, which the page's scripts cannot.
func sessionToken(t *testing.T, b *browser) string {
	t.Helper()
	res, err := chromedp.Call(b.ctx, network.GetCookies, network.GetCookiesParams{})
	if err != nil {
		t.Fatal(err)
	}
	cookies := res.Cookies
	for _, c := range cookies {
		if strings.HasSuffix(c.Name, "openimi_session") {
			if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || !c.Secure {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Secure", c)
			}
			return c.Value
		}
	}
	t.Fatalf("no session cookie among %d", len(cookies))
	return ""
}

func TestSignIn_AFormPostedWithoutItsTokenIsRefusedAndDoesNothing(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	official := sys.Authority(t, "DE", "Bayern", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})

	b := newBrowser(t, sys)
	b.open("/sign-in")
	b.fill("email", official.Email, "password", systemtest.ActivePassword)
	b.run(chromedp.Evaluate[chromedp.Void](`document.querySelector('[name=csrf_token]').remove()`))
	b.submit(`main button[type=submit]`)
	if got := b.text("main"); !strings.Contains(got, "could not be accepted") {
		t.Errorf("a form without its token reads %q", got)
	}
	b.check("csrf-refused")
	b.open("/")
	if p := b.path(); !strings.HasPrefix(p, "/sign-in") {
		t.Errorf("the refused sign-in signed in anyway: at %s", p)
	}

	// A token from elsewhere is refused as well.
	b.open("/sign-in")
	b.fill("email", official.Email, "password", systemtest.ActivePassword)
	b.run(chromedp.Evaluate[chromedp.Void](`document.querySelector('[name=csrf_token]').value = "forged"`))
	b.submit(`main button[type=submit]`)
	if got := b.text("main"); !strings.Contains(got, "could not be accepted") {
		t.Errorf("a form with a forged token reads %q", got)
	}
}

func TestPages_SpeakTheReadersLanguageAndSwitchOnThePage(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	b := newBrowser(t, sys)
	b.open("/sign-in")
	b.submit(`a[hreflang="de"]`)
	if lang := value(b, chromedp.AttributeValue(chromedp.CSS("html"), "lang")); lang.Value != "de" {
		t.Errorf("after picking Deutsch the page is in %q", lang.Value)
	}
	if got := b.text("main h1"); got != "Anmelden" {
		t.Errorf("the German sign-in page's heading is %q", got)
	}
	b.fill("email", "nobody@openimi.test", "password", "wrong")
	b.submit(`main button[type=submit]`)
	if got := b.text(".notice--error"); !strings.Contains(got, "Passwort") {
		t.Errorf("a wrong password reads %q in German", got)
	}
	b.check("sign-in-de-error")
}

func TestPasswordReset_FromTheRequestFormThroughTheMailToSigningInWithTheNewPassword(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	official := sys.Authority(t, "IT", "", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})

	b := newBrowserIn(t, sys, "it")
	b.open("/sign-in")
	b.submit(`main a[href="/reset-password"]`)
	b.fill("email", official.Email)
	b.submit(`main button[type=submit]`)
	if got := b.text(".notice--success"); got == "" {
		t.Fatalf("asking for a reset link says nothing: %q", b.text("main"))
	}
	b.check("reset-request")

	link := mailLink(t, sys, official.Email, "/reset-password?token=")
	b.open(link)
	b.check("reset")
	const newPassword = "a new password of some length"
	b.fill("password", newPassword)
	b.submit(`main button[type=submit]`)
	if p := b.path(); p != "/sign-in?reset=1" {
		t.Fatalf("after the reset the browser is at %s: %q", p, b.text("main"))
	}
	b.fill("email", official.Email, "password", newPassword)
	b.submit(`main button[type=submit]`)
	if p := b.path(); p != "/" {
		t.Errorf("signing in with the new password leads to %s", p)
	}

	// The link is single-use: a second try says so and offers a new one.
	b.open(link)
	b.fill("password", newPassword)
	b.submit(`main button[type=submit]`)
	if got := b.text("main"); !strings.Contains(got, "already been used") { // signed in: the account reads English
		t.Errorf("a used reset link reads %q", got)
	}
}
