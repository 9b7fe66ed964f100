package browsertest

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/system/systemtest"
)

func TestDesk_AnUnacceptedRequestEscalatesAndTheCoordinatorAcceptsItOnTheAuthoritysBehalf(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{Day: 300 * time.Millisecond})
	id, _, _ := sentRequest(t, sys)
	coordinator := sys.NationalCoordinator(t, "PL")

	// The escalation mail brings the coordinator to the request.
	b := newBrowser(t, sys)
	b.open(mailLink(t, sys, coordinator.Email, "/requests/"+id))
	b.signIn(coordinator)
	if p := b.path(); p != "/requests/"+id {
		t.Fatalf("the coordinator is at %s", p)
	}
	if main := b.text("main"); strings.Contains(main, "Jan Kowalski") {
		t.Error("the coordinator reads personal data without giving a reason")
	}

	// The desk lists it as escalated.
	b.open("/desk?filter=escalated")
	if got := b.text("main table"); !strings.Contains(got, "IMI-") || !strings.Contains(got, "DE → PL") {
		t.Errorf("the desk lists %q", got)
	}
	b.check("desk")
	b.submit(`main table a`)
	b.openAction("coordinator-accept")
	b.fillIn(`form[action$="/coordination/coordinator-accept"]`, "reason", "short")
	b.submit(`form[action$="/coordination/coordinator-accept"] button[type=submit]`)
	if got := b.text("main"); !strings.Contains(got, "There is a problem") && !strings.Contains(got, "Check this value") && !strings.Contains(got, "too short") {
		t.Errorf("a too short reason reads %q", got)
	}
	b.fillIn(`form[action$="/coordination/coordinator-accept"]`, "reason", "Accepted after a phone call with the authority, which is on leave.")
	b.submit(`form[action$="/coordination/coordinator-accept"] button[type=submit]`)
	if got := b.text(".eyebrow"); !strings.Contains(got, "Accepted") {
		t.Errorf("after accepting on behalf the state reads %q (%q)", got, b.text("main"))
	}
	b.check("request-coordinator")

	// With a reason recorded, the coordinator reads the personal data.
	b.fill("reason", "The authority asked me to check the provider's identity.")
	b.submit(`form[method=get][action^="/requests/"] button[type=submit]`)
	if got := b.text("main"); !strings.Contains(got, "Jan Kowalski") {
		t.Errorf("after giving a reason the coordinator reads %q", got)
	}

	// The scoreboard of the coordinator's country counts the request.
	b.open("/scoreboard")
	if got := b.text("main table"); !strings.Contains(got, "received – PL") {
		t.Errorf("the scoreboard reads %q", got)
	}
	b.check("scoreboard")
	req, err := http.NewRequest(http.MethodGet, b.url("/scoreboard.csv"), nil)
	if err != nil {
		t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: "__Host-openimi_session", Value: sessionToken(t, b)})
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	csv, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(string(csv), "direction,group,requests,accepted_within_7_days") {
		t.Errorf("the scoreboard's CSV answers %d %q", resp.StatusCode, csv)
	}
	// The page's download is the API's table, column for column.
	if api := sys.DoWithHeader(t, http.MethodGet, "/api/v1/stats", coordinator.Token, nil, "Accept", "text/csv"); string(api.Body) != string(csv) {
		t.Errorf("the API's CSV %q differs from the page's %q", api.Body, csv)
	}
}
