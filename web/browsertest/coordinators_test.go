package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/system/systemtest"
)

func TestHelpdesk_RegistersACoordinatorWhoActivatesFromTheMailAndInvitesAnAuthority(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	b := newBrowser(t, sys)
	b.open("/coordinators")
	b.fill("email", sys.HelpdeskEmail, "password", sys.HelpdeskPassword)
	b.submit(`main button[type=submit]`)
	// The helpdesk belongs to no authority: its menu leads to the
	// directory, the coordinators and the scoreboard, not to requests or
	// drafts.
	if got := value(b, chromedp.Evaluate[string](`[...document.querySelectorAll('nav.menu a')].map(a => a.getAttribute('href')).join(' ')`)); got != "/ /directory /coordinators /scoreboard" {
		t.Errorf("the helpdesk's menu links %q", got)
	}
	coordinatorEmail := systemtest.UniqueEmail("nc-pl")
	b.choose("kind", "national_coordinator")
	b.fill("authority.official_name", "Ministerstwo Rozwoju i Technologii", "authority.functional_mailbox", systemtest.UniqueEmail("imi-pl"),
		"first_user.display_name", "Koordynator", "first_user.email", coordinatorEmail)
	b.choose("authority.official_name_lang", "pl")
	b.choose("authority.country", "PL")
	b.choose("authority.level", "national")
	b.choose("first_user.language", "pl")
	b.submit(`form[action="/coordinators"] button[type=submit]`)
	if got := b.text(".notice--success"); got == "" {
		t.Fatalf("registering a coordinator reads %q", b.text("main"))
	}
	b.check("coordinators")

	// The coordinator activates from the mail, signs in and invites.
	c := newBrowserIn(t, sys, "pl")
	c.open(mailLink(t, sys, coordinatorEmail, "/activate?token="))
	c.fill("password", systemtest.ActivePassword)
	c.submit(`main button[type=submit]`)
	c.fill("email", coordinatorEmail, "password", systemtest.ActivePassword)
	c.submit(`main button[type=submit]`)
	c.open("/invitations")
	invitee := systemtest.UniqueEmail("gdansk")
	c.fill("email", invitee)
	c.choose("language", "pl")
	c.submit(`form[action="/invitations"] button[type=submit]`)
	if got := c.text(".notice--success"); !strings.Contains(got, "14") {
		t.Errorf("after inviting the page reads %q", c.text("main"))
	}
	c.check("invite")
	mailLink(t, sys, invitee, "/register?invitation=")
}
