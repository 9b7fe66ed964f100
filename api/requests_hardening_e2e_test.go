package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// colleague is an official of the given authority holding roles only in
// another area than the requests' (services).
func colleague(t *testing.T, sys *systemtest.System, of systemtest.Official, country, region string) systemtest.Official {
	t.Helper()
	c := sys.Authority(t, country, region, nil, nil)
	db := sys.Store.DB()
	if err := db.Exec("UPDATE users SET authority_id = ? WHERE id = ?", of.AuthorityID, c.UserID).Error; err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"request_handler", "allocator"} {
		if err := db.Exec("INSERT INTO user_roles (user_id, role, area_code) VALUES (?, ?, 'professional-qualifications')", c.UserID, role).Error; err != nil {
			t.Fatal(err)
		}
	}
	c.Token = sys.Login(t, c.Email, systemtest.ActivePassword)
	return c
}

func boxTotal(t *testing.T, sys *systemtest.System, who systemtest.Official, query string) int {
	t.Helper()
	resp := sys.Do(t, http.MethodGet, "/api/v1/requests?"+query, who.Token, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("box %s: %d %s", query, resp.Status, resp.Body)
	}
	var page struct {
		Total int `json:"total"`
		Items []struct {
			ID      string `json:"id"`
			Overdue bool   `json:"overdue"`
		} `json:"items"`
	}
	resp.JSON(t, &page)
	if len(page.Items) != page.Total {
		t.Fatalf("box %s: %d items of %d", query, len(page.Items), page.Total)
	}
	return page.Total
}

func TestRequest_OfficialsOfAPartyWithoutARoleInTheAreaGet404EverywhereAndEmptyBoxes(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
	if status, _ := upload(t, sys, requester.Token, d.ID, "public.pdf", pdf, "false"); status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)

	for _, c := range []struct {
		who systemtest.Official
		box string
	}{{colleague(t, sys, requester, "DE", "Bayern"), "outgoing"}, {colleague(t, sys, responder, "PL", "Pomorskie"), "incoming"}} {
		for _, path := range []string{"", "/timeline", "/access-log", "/attachments"} {
			if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+path, c.who.Token, nil); r.Status != http.StatusNotFound {
				t.Errorf("%s box colleague without the area's role: GET %s = %d %s, want 404", c.box, path, r.Status, r.Body)
			}
		}
		if r := sys.Do(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/message", c.who.Token, map[string]any{"text": "hello", "text_lang": "en"}); r.Status != http.StatusNotFound {
			t.Errorf("%s box colleague messages: %d, want 404", c.box, r.Status)
		}
		if n := boxTotal(t, sys, c.who, "box="+c.box); n != 0 {
			t.Errorf("the %s box of a colleague without the area's role lists %d requests", c.box, n)
		}
	}
	if n := boxTotal(t, sys, requester, "box=outgoing"); n != 1 {
		t.Errorf("the requester's outgoing box lists %d requests, want 1", n)
	}
	if n := boxTotal(t, sys, responder, "box=incoming"); n != 1 {
		t.Errorf("the responder's incoming box lists %d requests, want 1", n)
	}
}

// TestRequest_EveryActionsTextIsRedactedLikePersonalData plants a marker
// in the texts of assign, accept, propose- and agree-deadline, forward and
// close, and looks for it wherever the responding side before acceptance
// and a coordinator without a reason could read it.
func TestRequest_EveryActionsTextIsRedactedLikePersonalData(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	second := sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{
		{Role: models.RequestHandler, AreaCode: "services"}, {Role: models.Allocator, AreaCode: "services"}})
	plCoordinator := sys.NationalCoordinator(t, "PL")
	const marker = "Kowalski-MARKER"
	text := func(action string, more ...string) map[string]any {
		body := map[string]any{"text": marker + " " + action, "text_lang": "en"}
		for i := 0; i+1 < len(more); i += 2 {
			body[more[i]] = more[i+1]
		}
		return body
	}
	leaks := func(who systemtest.Official, when string, id string) {
		t.Helper()
		for _, path := range []string{"", "/timeline", "/access-log"} {
			r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+id+path, who.Token, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: GET %s = %d %s", when, path, r.Status, r.Body)
			}
			if strings.Contains(string(r.Body), marker) {
				t.Errorf("%s: GET %s shows the marker: %s", when, path, r.Body)
			}
		}
	}
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "assign", text("assign", "handler", responder.UserID.String()), http.StatusOK)
	leaks(responder, "the responder before acceptance", d.ID)

	reply := time.Now().UTC().AddDate(0, 0, 25).Format("2006-01-02")
	act(t, sys, responder, d.ID, "accept", text("accept"), http.StatusOK)
	act(t, sys, responder, d.ID, "propose-deadline", text("propose", "proposed_reply_date", reply), http.StatusOK)
	act(t, sys, requester, d.ID, "agree-deadline", text("agree"), http.StatusOK)
	leaks(plCoordinator, "a coordinator without a reason", d.ID)
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/timeline", requester.Token, nil); !strings.Contains(string(r.Body), marker+" accept") {
		t.Errorf("the requester does not read the acceptance's text: %s", r.Body)
	}

	// The forward: its author no longer takes part, and is told so.
	resp := sys.Do(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/forward", responder.Token, text("forward", "forward_to", second.AuthorityID.String()))
	if resp.Status != http.StatusOK {
		t.Fatalf("forward: %d %s", resp.Status, resp.Body)
	}
	var forwarded struct {
		Forwarded           bool   `json:"forwarded"`
		Subject             string `json:"subject"`
		RespondingAuthority string `json:"responding_authority"`
	}
	resp.JSON(t, &forwarded)
	if !forwarded.Forwarded || forwarded.Subject != "" || forwarded.RespondingAuthority != second.AuthorityID.String() {
		t.Errorf("the forward's answer = %s", resp.Body)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID, responder.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("the forwarding authority still reads the request: %d", r.Status)
	}
	leaks(second, "the authority forwarded to, before acceptance", d.ID)

	act(t, sys, second, d.ID, "accept", nil, http.StatusOK)
	act(t, sys, second, d.ID, "answer", map[string]any{"answers": []map[string]string{
		{"question": "legally-established", "value": "yes"},
		{"question": "registration-date", "value": "2019-05-02"},
		{"question": "sanctions", "value": "no"},
	}}, http.StatusOK)
	act(t, sys, requester, d.ID, "close", text("close"), http.StatusOK)
	leaks(plCoordinator, "a coordinator without a reason, after closure", d.ID)
}

func TestRequest_TheAccessLogShowsEachEntryOnlyWithWhatTheReaderMaySee(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	plCoordinator := sys.NationalCoordinator(t, "PL")
	d := draft(t, sys, requester, responder)
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")
	status, file := upload(t, sys, requester.Token, d.ID, "Kowalski-passport.pdf", pdf, "true")
	if status != http.StatusCreated {
		t.Fatalf("upload: %d", status)
	}
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/attachments/"+file["id"].(string), requester.Token, nil); r.Status != http.StatusOK {
		t.Fatalf("download: %d", r.Status)
	}
	const reason = "complaint by Jan Kowalski of 2026"
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"?reason="+url.QueryEscape(reason), plCoordinator.Token, nil); r.Status != http.StatusOK {
		t.Fatalf("coordinator's read: %d", r.Status)
	}
	log := func(who systemtest.Official) string {
		r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/access-log", who.Token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("access log: %d %s", r.Status, r.Body)
		}
		return string(r.Body)
	}
	if full := log(requester); !strings.Contains(full, "Kowalski-passport.pdf") || !strings.Contains(full, reason) {
		t.Errorf("the requester's access log lacks the file or the reason: %s", full)
	}
	for name, who := range map[string]systemtest.Official{"the responder before acceptance": responder, "a coordinator without a reason": plCoordinator} {
		shown := log(who)
		if strings.Contains(shown, "Kowalski") {
			t.Errorf("%s reads the access log's personal entries: %s", name, shown)
		}
		if !strings.Contains(shown, `"redacted":true`) {
			t.Errorf("%s is not told entries are redacted: %s", name, shown)
		}
	}
}

func TestRequest_AnInterruptedSendIsFinishedByTheNextAndReplayedByItsKey(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	db := sys.Store.DB()

	d := draft(t, sys, requester, responder)
	if want := []string{"edit", "delete", "send"}; !equalStrings(d.AllowedActions, want) {
		t.Errorf("a draft allows %v, want %v", d.AllowedActions, want)
	}
	// A sender died after claiming the draft, before starting its workflow.
	if err := db.Exec("UPDATE requests SET sending_at = now() WHERE id = ?", d.ID).Error; err != nil {
		t.Fatal(err)
	}
	edit := map[string]any{"subject": "Bauunternehmen Kowalski"}
	if r := sys.Do(t, http.MethodPatch, "/api/v1/requests/"+d.ID, requester.Token, edit); r.Status != http.StatusConflict {
		t.Errorf("edit of a draft claimed a moment ago: %d, want 409", r.Status)
	}
	// Long ago: the claim has no workflow behind it and is released.
	if err := db.Exec("UPDATE requests SET sending_at = now() - interval '2 minutes' WHERE id = ?", d.ID).Error; err != nil {
		t.Fatal(err)
	}
	if r := sys.Do(t, http.MethodPatch, "/api/v1/requests/"+d.ID, requester.Token, edit); r.Status != http.StatusOK {
		t.Errorf("edit of a draft its sender left claimed: %d %s, want 200", r.Status, r.Body)
	}
	// Claimed again and abandoned: the next send finishes the job.
	if err := db.Exec("UPDATE requests SET sending_at = now() WHERE id = ?", d.ID).Error; err != nil {
		t.Fatal(err)
	}
	if sent := act(t, sys, requester, d.ID, "send", nil, http.StatusOK); sent.State != "AWAITING_ACCEPTANCE" {
		t.Errorf("the send after an interrupted one left %s", sent.State)
	}

	// The same key replays the first result; another key or none is 409.
	e := draft(t, sys, requester, responder)
	send := func(key string) systemtest.Response {
		return sys.DoWithHeader(t, http.MethodPost, "/api/v1/requests/"+e.ID+"/send", requester.Token, nil, "Idempotency-Key", key)
	}
	first := send("send-1")
	if first.Status != http.StatusOK {
		t.Fatalf("send: %d %s", first.Status, first.Body)
	}
	var a, b requestOut
	first.JSON(t, &a)
	again := send("send-1")
	if again.Status != http.StatusOK {
		t.Fatalf("send replayed with its key: %d %s, want 200", again.Status, again.Body)
	}
	again.JSON(t, &b)
	if a.ID != b.ID || a.State != b.State || a.Reference != b.Reference {
		t.Errorf("the replay answers %+v, the first send %+v", b, a)
	}
	if r := send("send-2"); r.Status != http.StatusConflict {
		t.Errorf("send with another key: %d, want 409", r.Status)
	}
	act(t, sys, requester, e.ID, "send", nil, http.StatusConflict)
	var sends int64
	db.Raw("SELECT count(*) FROM request_events WHERE request_id = ? AND kind = 'sent'", e.ID).Scan(&sends)
	if sends != 1 {
		t.Errorf("%d sent events, want 1", sends)
	}
	if after := get(t, sys, requester, e.ID, "en"); equalStrings(after.AllowedActions, []string{"edit", "delete", "send"}) {
		t.Errorf("a sent request still allows %v", after.AllowedActions)
	}
}

// TestOverdue_TheViewTheBoxTheDeskAndTheScoreboardAgree follows a request
// nobody accepts past its needed-by date: all four call it overdue.
func TestOverdue_TheViewTheBoxTheDeskAndTheScoreboardAgree(t *testing.T) {
	day := 300 * time.Millisecond
	sys := systemtest.Start(t, systemtest.Options{Day: day})
	requester, responder, _ := twoSides(t, sys)
	plCoordinator := sys.NationalCoordinator(t, "PL")
	helpdesk := systemtest.Official{Token: sys.HelpdeskToken(t)}
	resp := sys.Do(t, http.MethodPost, "/api/v1/requests", requester.Token, map[string]any{
		"area": "services", "responding_authority": responder.AuthorityID.String(),
		"subject": "Bauunternehmen", "subject_lang": "de", "questions": []string{"legally-established"},
		"needed_by": time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02"),
	})
	if resp.Status != http.StatusCreated {
		t.Fatalf("draft: %d %s", resp.Status, resp.Body)
	}
	id := resp.Map(t)["id"].(string)
	act(t, sys, requester, id, "send", nil, http.StatusOK)

	scoreboardOverdue := func() int {
		r := sys.Do(t, http.MethodGet, "/api/v1/stats?country=PL", helpdesk.Token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("stats: %d %s", r.Status, r.Body)
		}
		var board struct {
			Rows []struct {
				Direction string `json:"direction"`
				Overdue   int    `json:"overdue"`
			} `json:"rows"`
		}
		r.JSON(t, &board)
		n := 0
		for _, row := range board.Rows {
			if row.Direction == "received" {
				n += row.Overdue
			}
		}
		return n
	}
	deskOverdue := func() bool {
		for _, it := range desk(t, sys, plCoordinator, "overdue").Items {
			if it.ID == id {
				return true
			}
		}
		return false
	}
	// The due date is one day of 300 ms after sending; overdue the day after.
	deadline := time.Now().Add(20 * time.Second)
	for !get(t, sys, requester, id, "en").Overdue {
		if time.Now().After(deadline) {
			t.Fatal("the request never turned overdue in its view")
		}
		time.Sleep(day / 3)
	}
	if n := scoreboardOverdue(); n != 1 {
		t.Errorf("the scoreboard counts %d overdue, the view 1", n)
	}
	if !deskOverdue() {
		t.Error("the desk's overdue tray lacks the overdue request")
	}
	if n := boxTotal(t, sys, responder, "box=incoming&overdue=true"); n != 1 {
		t.Errorf("the incoming box lists %d overdue, want 1", n)
	}
	if n := boxTotal(t, sys, requester, "box=outgoing&overdue=false"); n != 0 {
		t.Errorf("the outgoing box lists %d not overdue, want none", n)
	}
	// A draft is never overdue, and is listed as such.
	draft(t, sys, requester, responder)
	if n := boxTotal(t, sys, requester, "box=outgoing&overdue=false"); n != 1 {
		t.Errorf("the outgoing box lists %d not overdue, want the draft", n)
	}

	// Answered, it is overdue for nobody.
	act(t, sys, responder, id, "accept", nil, http.StatusOK)
	act(t, sys, responder, id, "answer", map[string]any{"answers": []map[string]string{{"question": "legally-established", "value": "yes"}}}, http.StatusOK)
	if get(t, sys, requester, id, "en").Overdue || scoreboardOverdue() != 0 || deskOverdue() || boxTotal(t, sys, responder, "box=incoming&overdue=true") != 0 {
		t.Error("an answered request is still overdue somewhere")
	}
}

func TestRequest_HostileTextIs422NamingTheFieldNeverA500(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	helpdesk := sys.HelpdeskToken(t)
	field := func(r systemtest.Response) string {
		var body struct {
			Error struct {
				Details []struct {
					Field string `json:"field"`
				} `json:"details"`
			} `json:"error"`
		}
		r.JSON(t, &body)
		if len(body.Error.Details) == 0 {
			return ""
		}
		return body.Error.Details[0].Field
	}
	expect := func(what string, r systemtest.Response, want string) {
		t.Helper()
		if r.Status != http.StatusUnprocessableEntity || field(r) != want {
			t.Errorf("%s: %d %s, want 422 naming %s", what, r.Status, r.Body, want)
		}
	}
	for _, bad := range []string{"%00", "%ff", "%c0%af", "%ed%a0%80", "a%1bb"} {
		for _, p := range []string{"box", "state", "area"} {
			q := "box=incoming&" + p + "=" + bad
			if p == "box" {
				q = "box=" + bad
			}
			expect("GET /requests?"+q, sys.Do(t, http.MethodGet, "/api/v1/requests?"+q, requester.Token, nil), p)
		}
		for _, p := range []string{"country", "area", "from", "to", "group_by"} {
			expect("GET /stats?"+p+"="+bad, sys.Do(t, http.MethodGet, "/api/v1/stats?"+p+"="+bad, helpdesk, nil), p)
		}
		if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+bad, requester.Token, nil); r.Status >= 500 {
			t.Errorf("GET /requests/%s: %d", bad, r.Status)
		}
	}

	d := draft(t, sys, requester, responder)
	base := `"area":"services","responding_authority":"` + responder.AuthorityID.String() + `","subject_lang":"de","questions":["sanctions"],"needed_by":"` +
		time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02") + `"`
	for _, c := range []struct{ body, field string }{
		{`{` + base + `,"subject":"a\u0000b"}`, "subject"},
		{`{` + base + `,"subject":"ok","free_text":"x\u0000","free_text_lang":"de"}`, "free_text"},
		{`{` + base + `,"subject":"ok","personal_data":{"name":"Jan\u0000"}}`, "personal_data[name]"},
		{`{` + base + `,"subject":"ok","personal_data":{"na\u0000me":"Jan"}}`, "personal_data"},
		{`{"area":"services","responding_authority":"` + responder.AuthorityID.String() + `","subject":"ok","subject_lang":"de","questions":["\u0000"],"needed_by":"2030-01-01"}`, "questions[0]"},
	} {
		expect("POST /requests "+c.body, sys.Do(t, http.MethodPost, "/api/v1/requests", requester.Token, c.body), c.field)
	}
	expect("PATCH subject", sys.Do(t, http.MethodPatch, "/api/v1/requests/"+d.ID, requester.Token, `{"subject":"\u0000"}`), "subject")

	for _, name := range []string{"a\x00b.pdf", "\xff.pdf", "\xc0\xaf.pdf", "\xed\xa0\x80.pdf"} {
		if status, _ := upload(t, sys, requester.Token, d.ID, name, []byte("%PDF-1.4\n%%EOF\n"), "false"); status != http.StatusUnprocessableEntity {
			t.Errorf("attachment named %q: %d, want 422", name, status)
		}
	}
	var files int64
	sys.Store.DB().Raw("SELECT count(*) FROM request_attachments WHERE request_id = ?", d.ID).Scan(&files)
	if files != 0 {
		t.Errorf("%d files stored under hostile names", files)
	}

	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)
	expect("message", sys.Do(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/message", responder.Token, `{"text":"hi\u0000","text_lang":"pl"}`), "text")
	expect("answer", sys.Do(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/answer", responder.Token, `{"answers":[{"question":"sanctions","value":"no\u0000ne"}]}`), "answers[0].value")
	expect("coordinator's reason", sys.Do(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/coordination/note", sys.NationalCoordinator(t, "PL").Token,
		`{"reason":"a reason of \u0000 length","reason_lang":"en"}`), "reason")
	// The request is still usable.
	act(t, sys, responder, d.ID, "message", map[string]any{"text": "Proszę o cierpliwość.", "text_lang": "pl"}, http.StatusOK)
}
