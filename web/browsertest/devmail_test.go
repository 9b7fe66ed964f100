package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/system/systemtest"
)

func TestDevMailbox_ListsTheMailsAndShowsTheirLinksClickable(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{DevMailbox: true})
	email := newOfficial(t, sys)
	mailLink(t, sys, email, "/activate?token=") // delivered

	b := newBrowser(t, sys)
	b.open("/dev/mail")
	row := `//tr[td[contains(., "` + email + `")]]//a`
	b.run(chromedp.WaitReady(chromedp.Search(row)))
	b.check("dev-mailbox")
	b.run(chromedp.Evaluate[chromedp.Void](`window.openimiOldPage = true`), chromedp.Click(chromedp.Search(row)))
	b.waitForNewPage()
	href := value(b, chromedp.AttributeValue(chromedp.CSS(`.mail-body a[href*="/activate?token="]`), "href"))
	if !href.Exists {
		t.Fatalf("the mail's activation link is not a link: %q", b.text("main"))
	}
	b.check("dev-mail")
	b.open(href.Value)
	if got := b.text("main h1"); !strings.Contains(got, "Activate") {
		t.Errorf("the mail's link opens %q", got)
	}
}

func TestDevMailbox_IsNotServedOutsideDev(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	b := newBrowser(t, sys)
	if status := pageStatus(t, b, "/dev/mail"); status != 404 {
		t.Errorf("/dev/mail outside dev: %d, want 404", status)
	}
}
