package browsertest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/system/systemtest"
)

// choose picks an option of a select, or ticks a checkbox, by value.
func (b *browser) choose(name, value string) {
	b.t.Helper()
	b.run(chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const el = document.querySelector('select[name=%q], input[name=%q][value=%q]');
		if (el.tagName === "SELECT") { el.value = %q } else { el.checked = true }
	})()`, name, name, value, value)))
}

func TestRegistration_AnInvitedAuthorityRegistersFromTheMailItsCoordinatorApprovesAndItsUserSignsIn(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	coordinator := sys.NationalCoordinator(t, "PL")
	invitee := systemtest.UniqueEmail("invitee")
	if r := sys.Do(t, http.MethodPost, "/api/v1/invitations", coordinator.Token, map[string]any{"email": invitee, "language": "pl"}); r.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}

	// The invited authority registers from its mail, in Polish.
	b := newBrowserIn(t, sys, "pl")
	b.open(mailLink(t, sys, invitee, "/register?invitation="))
	b.check("register")
	first := systemtest.UniqueEmail("first")
	b.submit(`main button[type=submit]`) // empty: every required field is named
	if got := b.text(".error-summary"); !strings.Contains(got, "Twój organ") {
		t.Errorf("the empty form's summary reads %q", got)
	}
	b.check("register-errors")
	b.fill("authority.official_name", "Urząd Miejski w Gdańsku", "authority.functional_mailbox", systemtest.UniqueEmail("imi-gdansk"),
		"first_user.display_name", "Anna Nowak", "first_user.email", first, "first_user.password", systemtest.ActivePassword)
	b.choose("authority.official_name_lang", "pl")
	b.choose("authority.country", "PL")
	b.choose("authority.level", "local")
	b.choose("authority.areas", "services")
	b.choose("first_user.language", "pl")
	b.submit(`main button[type=submit]`)
	if got := b.text(".notice--success"); !strings.Contains(got, "koordynatorowi") {
		t.Fatalf("after registering the page reads %q", b.text("main"))
	}

	// The coordinator follows the mail, reads the registration and approves.
	c := newBrowser(t, sys)
	c.open(mailLink(t, sys, coordinator.Email, "/registrations/"))
	c.signIn(coordinator)
	if got := c.text("main h1"); got != "Urząd Miejski w Gdańsku" {
		t.Errorf("the registration page's heading is %q", got)
	}
	c.check("registration")
	c.open("/desk")
	if got := c.text("main"); !strings.Contains(got, "Urząd Miejski w Gdańsku") {
		t.Errorf("the desk does not list the registration: %q", got)
	}
	c.submit(`main a[href^="/registrations/"]`)
	c.submit(`form[action$="/approve"] button`)
	if got := c.text(".notice--success"); !strings.Contains(got, "approved") {
		t.Errorf("after approving the page reads %q", c.text("main"))
	}

	// Its first user signs in.
	b.open("/sign-in")
	b.fill("email", first, "password", systemtest.ActivePassword)
	b.submit(`main button[type=submit]`)
	if p := b.path(); p != "/" {
		t.Errorf("the first user is at %s after signing in: %q", p, b.text("main"))
	}
}
