package browsertest

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// readsIn sets the account's language, as its owner would in their
// profile.
func readsIn(t *testing.T, sys *systemtest.System, who systemtest.Official, lang string) {
	t.Helper()
	if err := sys.Store.DB().Model(&models.User{}).Where("id = ?", who.UserID).Update("preferred_language", lang).Error; err != nil {
		t.Fatal(err)
	}
}

// signIn signs in on the sign-in page the browser is at.
func (b *browser) signIn(who systemtest.Official) {
	b.t.Helper()
	b.fill("email", who.Email, "password", systemtest.ActivePassword)
	b.submit(`main button[type=submit]`)
}

func TestRequest_APolishAndAGermanOfficialRunItFromTheirMailsToClosureWithAClarification(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	id, requester, responder := sentRequest(t, sys)
	readsIn(t, sys, responder, "pl")
	readsIn(t, sys, requester, "de")

	// The Polish official opens the request from the mail, in Polish.
	pl := newBrowserIn(t, sys, "pl")
	pl.open(mailLink(t, sys, responder.Email, "/requests/"+id))
	if got := pl.text("main h1"); got != "Zaloguj się" {
		t.Errorf("the sign-in page for a Polish browser reads %q", got)
	}
	pl.signIn(responder)
	if p := pl.path(); p != "/requests/"+id {
		t.Fatalf("the Polish official is at %s", p)
	}
	if got := pl.text("main .qa h3"); !strings.Contains(got, "?") || strings.Contains(got, "provider") {
		t.Errorf("the first question for a Polish reader is %q", got)
	}
	pl.openAction("accept")
	pl.act("accept")

	// It answers every question, typed by question.
	pl.openAction("answer")
	pl.run(chromedp.Evaluate[chromedp.Void](`(() => {
		const form = document.querySelector('form[action$="/actions/answer"]');
		const groups = new Set([...form.querySelectorAll('input[type=radio]')].map(r => r.name));
		groups.forEach(n => form.querySelector('input[type=radio][name="' + n + '"]').checked = true);
		form.querySelectorAll('input[type=date]').forEach(d => d.value = "2019-05-06");
		form.querySelectorAll('textarea').forEach(t => t.value = "Brak sankcji.");
	})()`))
	pl.act("answer")
	if got := pl.text(".eyebrow"); !strings.Contains(got, "Udzielono odpowiedzi") {
		t.Errorf("after answering the state reads %q", got)
	}
	pl.check("request-answered-pl")

	// The German official reads the answers from the mail, in German, and
	// asks for a clarification.
	de := newBrowserIn(t, sys, "de")
	de.open(mailLink(t, sys, requester.Email, "/requests/"+id))
	de.signIn(requester)
	if p := de.path(); p != "/requests/"+id {
		t.Fatalf("the German official is at %s", p)
	}
	if got := de.text("main"); !strings.Contains(got, "Ja") || !strings.Contains(got, "Beantwortet") {
		t.Errorf("the German official reads the answers as %q", got)
	}
	de.openAction("request-clarification")
	de.fillAction("request-clarification", "text", "Seit wann genau?")
	de.act("request-clarification")
	if got := de.text(".notice--success"); got == "" {
		t.Error("no confirmation after asking for a clarification")
	}

	// The Polish official gives it from the mail that asks for it.
	pl.open(mailLink(t, sys, responder.Email, "/requests/"+id))
	if got := pl.text(".eyebrow"); !strings.Contains(got, "Poproszono o wyjaśnienie") {
		t.Errorf("the Polish official sees the state %q", got)
	}
	pl.openAction("clarify")
	pl.fillAction("clarify", "text", "Od 2 maja 2019 r.")
	pl.act("clarify")

	// The German official closes with a rating.
	de.open("/requests/" + id)
	if got := de.text("main"); !strings.Contains(got, "Od 2 maja 2019 r.") {
		t.Errorf("the German official does not read the clarification: %q", got)
	}
	de.openAction("close")
	de.run(chromedp.Click(chromedp.CSS(`input[name=timeliness_rating][value="5"]`)), chromedp.Click(chromedp.CSS(`input[name=effort_rating][value="4"]`)))
	de.act("close")
	if got := de.text(".eyebrow"); !strings.Contains(got, "Abgeschlossen") {
		t.Errorf("after closing the state reads %q", got)
	}
	de.check("request-closed-de")
}
