package browsertest

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// postForm posts a form from the page, with the page's own CSRF token, and
// returns the answer's status. The page's CSP forbids scripts to fetch, so
// the test lifts it for its own script (DevTools' bypass), not the server.
func (b *browser) postForm(path string, fields map[string]string) int {
	b.t.Helper()
	if _, err := chromedp.Call(b.ctx, page.SetBypassCSP, page.SetBypassCSPParams{Enabled: true}); err != nil {
		b.t.Fatal(err)
	}
	b.run(chromedp.Reload())
	script := fmt.Sprintf(`(async () => {
		const body = new URLSearchParams(%s);
		body.set("csrf_token", document.querySelector('[name=csrf_token]').value);
		const r = await fetch(%q, {method: "POST", body, redirect: "manual"});
		return r.status;
	})()`, jsonOf(fields), path)
	return value(b, chromedp.Evaluate[int](script, chromedp.EvalAwaitPromise))
}

func TestPagesAndAPI_RefuseTheSameCallerTheSameWay(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	id, requester, _ := sentRequest(t, sys)
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	outsider := sys.Authority(t, "FR", "", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}, {Role: models.Allocator, AreaCode: "services"}})

	for _, c := range []struct {
		who    systemtest.Official
		action string
		body   map[string]string
		want   int
	}{
		{outsider, "accept", nil, http.StatusNotFound},
		{outsider, "message", map[string]string{"text": "Bonjour"}, http.StatusNotFound},
		{requester, "accept", nil, http.StatusForbidden},
		{requester, "answer", nil, http.StatusUnprocessableEntity}, // no answers: the input check comes first, on both
	} {
		b := newBrowser(t, sys)
		b.open("/sign-in")
		b.signIn(c.who)
		page := b.postForm("/requests/"+id+"/actions/"+c.action, c.body)
		var apiBody any
		if c.body != nil {
			apiBody = c.body
		}
		api := sys.Do(t, http.MethodPost, "/api/v1/requests/"+id+"/"+c.action, c.who.Token, apiBody).Status
		if page != api || page != c.want {
			t.Errorf("%s by %s: page %d, API %d, want %d from both", c.action, c.who.Email, page, api, c.want)
		}
	}
}
