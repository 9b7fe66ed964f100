package api_test

import (
	"bytes"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// outsiderMay is every {id} operation SPEC lets someone outside a request
// succeed at: the directory, which every signed-in official reads. Nothing
// of a request, its timeline, access log or attachments, nor another
// authority's users or registrations.
var outsiderMay = map[string]bool{
	"GET /api/v1/authorities/{id}": true,
}

// TestOutsiders_NoOneOutsideARequestActsOnItOrReadsItsPersonalData plants
// a marker in every personal field and free text of a request (personal
// data, free text, the answer to a personal question, the accept, assign
// and message texts, the answer's text, a coordinator's reason, a personal
// attachment and its file name), then has every {id} operation of the
// OpenAPI document called by a third country's request handler,
// coordinator and local data administrator, and by an official of the
// requesting authority without a role in the request's area. None may
// succeed beyond outsiderMay; no answer may hold the marker.
func TestOutsiders_NoOneOutsideARequestActsOnItOrReadsItsPersonalData(t *testing.T) {
	started := time.Now()
	sys := systemtest.Start(t, systemtest.Options{})
	c := newSuiteCast(t, sys)
	const marker = "Zq7MARKERxw"

	// The request, answered, with the marker everywhere personal.
	r := c.requestIn(t, "DRAFT", marker)
	sys.Do(t, http.MethodPatch, "/api/v1/requests/"+r.ID, c.requester.Token, map[string]any{
		"questions": []string{"legally-established", "registration-date", "sanctions", "sanctions-details"}})
	must := func(who systemtest.Official, path string, body any) {
		t.Helper()
		if resp := sys.Do(t, http.MethodPost, "/api/v1/requests/"+r.ID+path, who.Token, body); resp.Status != http.StatusOK {
			t.Fatalf("%s: %d %s", path, resp.Status, resp.Body)
		}
	}
	must(c.requester, "/send", nil)
	must(c.plCoord, "/coordination/chase", map[string]any{"reason": "chased because " + marker, "reason_lang": "en"})
	must(c.responder, "/accept", map[string]any{"text": "accepted " + marker, "text_lang": "en"})
	must(c.responder, "/assign", map[string]any{"handler": c.responder.UserID.String(), "text": "assigned " + marker, "text_lang": "en"})
	must(c.requester, "/message", map[string]any{"text": "message " + marker, "text_lang": "en"})
	c.attach(t, c.responder.Token, r.ID, "certificate-"+marker+".pdf", true)
	must(c.responder, "/answer", map[string]any{"answers": []map[string]string{
		{"question": "legally-established", "value": "yes"}, {"question": "registration-date", "value": "2019-05-02"},
		{"question": "sanctions", "value": "yes"}, {"question": "sanctions-details", "value": "fined " + marker},
	}, "text": "answered " + marker, "text_lang": "en"})
	// Reads that the access log records with what they read and why: a
	// coordinator's reason, a personal attachment's file name.
	if resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+r.ID+"?reason="+url.QueryEscape("reading because "+marker), c.deCoord.Token, nil); resp.Status != http.StatusOK {
		t.Fatalf("the requesting country's coordinator reads the request: %d %s", resp.Status, resp.Body)
	}
	if resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+r.ID+"/attachments/"+r.Attachment, c.responder.Token, nil); resp.Status != http.StatusOK {
		t.Fatalf("the responder downloads the personal attachment: %d %s", resp.Status, resp.Body)
	}
	// The parties themselves read the marker: the test can see it.
	if resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+r.ID, c.requester.Token, nil); !bytes.Contains(resp.Body, []byte(marker)) {
		t.Fatalf("the requester does not read the marker: the test proves nothing: %s", resp.Body)
	}
	registration := c.registration(t, c.plCoord, "PL", marker)

	// The outsiders.
	services := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	frHandler := sys.Authority(t, "FR", "", services, []models.UserRole{
		{Role: models.RequestHandler, AreaCode: "services"}, {Role: models.Allocator, AreaCode: "services"}})
	frCoordinator := sys.NationalCoordinator(t, "FR")
	frAdmin := sys.Authority(t, "FR", "", services, []models.UserRole{{Role: models.LocalDataAdministrator}})
	noRole := c.colleagueWithout(t, "services")
	outsiders := []struct {
		name string
		who  systemtest.Official
	}{
		{"third country's request handler", frHandler},
		{"third country's coordinator", frCoordinator},
		{"third country's local data administrator", frAdmin},
		{"requesting authority's official without the area's role", noRole},
	}

	params := map[string]string{
		"id": r.ID, "attachment_id": r.Attachment, "user_id": c.responder.UserID.String(),
	}
	doc := sys.Contract.Document()
	var ops []string
	for _, path := range doc.Paths.InMatchingOrder() {
		if !strings.Contains(path, "{id}") {
			continue
		}
		for method := range doc.Paths.Value(path).Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	sort.Strings(ops)
	calls := 0
	var breaches []string
	for _, o := range outsiders {
		for _, op := range ops {
			method, path, _ := strings.Cut(op, " ")
			target := path
			p := map[string]string{}
			for k, v := range params {
				p[k] = v
			}
			switch {
			case strings.HasPrefix(path, "/api/v1/registrations/"):
				p["id"] = registration
			case strings.HasPrefix(path, "/api/v1/authorities/"):
				p["id"] = c.responder.AuthorityID.String()
			}
			for k, v := range p {
				target = strings.ReplaceAll(target, "{"+k+"}", v)
			}
			var body any
			if plan, ok := hostilePlans[op]; ok && plan.body != nil {
				body = plan.body(c, p)
			}
			resp := sys.Do(t, method, target, o.who.Token, body)
			calls++
			if resp.Status >= 200 && resp.Status < 300 && !outsiderMay[op] {
				breaches = append(breaches, o.name+" | "+op+" | "+http.StatusText(resp.Status))
				t.Errorf("%s: %s answered %d: %.300s", o.name, op, resp.Status, resp.Body)
			}
			if bytes.Contains(resp.Body, []byte(marker)) || strings.Contains(resp.Header.Get("Content-Disposition"), marker) {
				breaches = append(breaches, o.name+" | "+op+" | marker in the answer")
				t.Errorf("%s: %s shows personal data (the marker): …%s…", o.name, op, around(resp.Body, marker))
			}
		}
		// Lists an outsider may read must not carry the request's personal data.
		for _, list := range []string{"/api/v1/requests", "/api/v1/coordination/requests", "/api/v1/notifications"} {
			resp := sys.Do(t, http.MethodGet, list, o.who.Token, nil)
			calls++
			if bytes.Contains(resp.Body, []byte(marker)) || bytes.Contains(resp.Body, []byte(r.ID)) {
				breaches = append(breaches, o.name+" | GET "+list+" | the request or its marker listed")
				t.Errorf("%s: GET %s lists the request or its personal data: %.500s", o.name, list, resp.Body)
			}
		}
	}
	if len(breaches) > 0 {
		t.Errorf("%d breaches in %d outsider calls:\n  %s", len(breaches), calls, strings.Join(breaches, "\n  "))
	}
	t.Logf("outsiders suite: %d calls on %d {id} operations by %d outsiders in %s", calls, len(ops), len(outsiders), time.Since(started).Round(time.Millisecond))
}

// TestOutsiders_TheRespondingSideReadsNoPersonalDataBeforeAccepting: until
// it accepts, the responding authority is outside the request's personal
// data (SPEC §4): none of its reads may show the marker planted in the
// personal data, the free text, a personal attachment's file name and a
// coordinator's reasons.
func TestOutsiders_TheRespondingSideReadsNoPersonalDataBeforeAccepting(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	c := newSuiteCast(t, sys)
	const marker = "Yk4BEFOREacc"
	r := c.requestIn(t, "AWAITING_ACCEPTANCE", marker)
	if resp := sys.Do(t, http.MethodPost, "/api/v1/requests/"+r.ID+"/coordination/chase", c.plCoord.Token,
		map[string]any{"reason": "chased because " + marker, "reason_lang": "en"}); resp.Status != http.StatusOK {
		t.Fatalf("chase: %d %s", resp.Status, resp.Body)
	}
	if resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+r.ID+"?reason="+url.QueryEscape("reading because "+marker), c.deCoord.Token, nil); resp.Status != http.StatusOK {
		t.Fatalf("the requesting country's coordinator reads the request: %d %s", resp.Status, resp.Body)
	}
	if resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+r.ID+"/attachments/"+r.Attachment, c.requester.Token, nil); resp.Status != http.StatusOK {
		t.Fatalf("the requester downloads its personal attachment: %d %s", resp.Status, resp.Body)
	}
	for _, path := range []string{"", "/timeline", "/access-log", "/attachments", "/attachments/" + r.Attachment} {
		resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+r.ID+path, c.responder.Token, nil)
		if bytes.Contains(resp.Body, []byte(marker)) || strings.Contains(resp.Header.Get("Content-Disposition"), marker) {
			t.Errorf("before accepting, the responder reads personal data at GET {id}%s (%d): …%s…", path, resp.Status, around(resp.Body, marker))
		}
	}
	if resp := sys.Do(t, http.MethodGet, "/api/v1/requests?box=incoming", c.responder.Token, nil); bytes.Contains(resp.Body, []byte(marker)) {
		t.Errorf("before accepting, the responder's box shows personal data: …%s…", around(resp.Body, marker))
	}
}

// around is the text about the first occurrence of marker in body.
func around(body []byte, marker string) string {
	i := bytes.Index(body, []byte(marker))
	if i < 0 {
		return ""
	}
	from, to := max(0, i-200), min(len(body), i+len(marker)+60)
	return string(body[from:to])
}

// colleagueWithout is an official of the requesting authority with a role
// in another area than area, and its local data administrator role.
func (c *suiteCast) colleagueWithout(t *testing.T, area string) systemtest.Official {
	t.Helper()
	other := "professional-qualifications"
	if area == other {
		other = "services"
	}
	o := c.sys.Authority(t, "DE", "Bayern", nil, nil)
	db := c.sys.Store.DB()
	if err := db.Exec("UPDATE users SET authority_id = ? WHERE id = ?", c.requester.AuthorityID, o.UserID).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("INSERT INTO user_roles (user_id, role, area_code) VALUES (?, 'request_handler', ?)", o.UserID, other).Error; err != nil {
		t.Fatal(err)
	}
	o.AuthorityID = c.requester.AuthorityID
	o.Token = c.sys.Login(t, o.Email, systemtest.ActivePassword)
	return o
}
