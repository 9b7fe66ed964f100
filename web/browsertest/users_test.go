package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

func TestUsers_ALocalDataAdministratorCreatesAnOfficialWhoIsMailedAndDeactivatesThem(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	admin := sys.Authority(t, "ES", "", areas, []models.UserRole{{Role: models.LocalDataAdministrator}})

	b := newBrowser(t, sys)
	b.open("/users")
	b.signIn(admin)
	email := systemtest.UniqueEmail("nuevo")
	b.fill("display_name", "Lucía García", "email", email)
	b.choose("language", "es")
	b.choose("roles", "request_handler:services")
	b.submit(`form[action="/users"] button[type=submit]`)
	if got := b.text(".notice--success"); got == "" {
		t.Fatalf("creating an official reads %q", b.text("main"))
	}
	mailLink(t, sys, email, "/activate?token=")
	b.check("users")

	b.run(
		chromedp.Evaluate[chromedp.Void](`window.openimiOldPage = true`),
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("main tbody tr")].find(tr => tr.textContent.includes("`+email+`")).querySelector("button").click()`),
	)
	b.waitForNewPage()
	if got := b.text("main table"); !strings.Contains(got, "deactivated") {
		t.Errorf("after deactivating the list reads %q", got)
	}
	b.open("/notifications")
	b.check("notifications")
}
