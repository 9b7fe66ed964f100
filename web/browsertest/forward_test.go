package browsertest

import (
	"strings"
	"testing"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

func TestForward_TheRespondingOfficialPicksTheCompetentAuthorityFromTheDirectory(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	id, _, responder := sentRequest(t, sys)
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	competent := sys.Authority(t, "PL", "Mazowieckie", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})

	b := newBrowser(t, sys)
	b.open("/requests/" + id)
	b.signIn(responder)
	if got := b.text("main dl.facts"); !strings.Contains(got, "competent_authority DE Bayern (DE)") {
		t.Errorf("the request names its authorities as %q", got)
	}
	b.openAction("forward")
	b.choose("forward_to", competent.AuthorityID.String())
	b.fillAction("forward", "text", "Competent in Mazowieckie.")
	b.act("forward")
	if p, got := b.path(), b.text(".notice--success"); p != "/?done=forwarded" || !strings.Contains(got, "forwarded") {
		t.Errorf("after forwarding the page reads %q", got)
	}
	mailLink(t, sys, competent.Email, "/requests/"+id)
}
