package api_test

import (
	"flag"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/system/systemtest"
)

// hostileSeed and hostileLimit make the hostile suite reproducible and
// bounded: the same seed sends the same cases; -hostile-seed explores.
var (
	hostileSeed  = flag.Uint64("hostile-seed", 13, "seed of the hostile input suite's case generation")
	hostileLimit = flag.Int("hostile-cases", 64, "most hostile cases sent to one operation")
	hostileTrace = flag.Bool("hostile-trace", false, "log every hostile call's class and status")
)

// hostileCallTimeout bounds one call: an action takes milliseconds, and a
// call that hangs is a finding (an input that wedged the request), not a
// reason to wait.
const hostileCallTimeout = 5 * time.Second

// hostilePlan says how an operation is called so that it runs deep: by
// whom (a token), on what (its path parameters, a resource in the state
// where the operation is legal), and what must still work afterwards.
type hostilePlan struct {
	who   func(t *testing.T, c *suiteCast) string
	setup func(t *testing.T, c *suiteCast) (params map[string]string, after func(t *testing.T))
	// body is a valid body, which the generator breaks one field at a
	// time so that each case fails on its own fault, deep in the
	// operation; when nil, one is sampled from the schema.
	body func(c *suiteCast, params map[string]string) any
	// extra are cases the schema cannot generate (multipart uploads).
	extra func() []hostileCase
}

// withBody gives a plan its valid body.
func (p hostilePlan) withBody(body func(c *suiteCast) any) hostilePlan {
	p.body = func(c *suiteCast, _ map[string]string) any { return body(c) }
	return p
}

func textBody(*suiteCast) any {
	return map[string]any{"text": "a text of the suite", "text_lang": "en"}
}

func reasonBody(more ...any) func(*suiteCast) any {
	return func(*suiteCast) any {
		b := map[string]any{"reason": "a reason long enough for the suite", "reason_lang": "en"}
		for i := 0; i+1 < len(more); i += 2 {
			b[more[i].(string)] = more[i+1]
		}
		return b
	}
}

// hostileAuthority is a valid authority for the bodies that register one.
func hostileAuthority(country, level, region string) map[string]any {
	a := map[string]any{"official_name": "Hostile Authority", "official_name_lang": "en", "country": country, "level": level,
		"designation": map[string]string{"en": "Hostile body"}, "description": map[string]string{"en": "What it does"},
		"functional_mailbox": systemtest.UniqueEmail("hostile-mailbox"), "phone": "+352 123 456",
		"areas": []map[string]any{{"area": "services", "competences": []string{"construction"}}}}
	if region != "" {
		a["region"] = region
	}
	return a
}

func inDays(n int) string { return time.Now().UTC().AddDate(0, 0, n).Format(time.DateOnly) }

// onRequest is a plan for an operation on a request in state, called by
// one of its parties.
func onRequest(state string, who func(t *testing.T, c *suiteCast) string) hostilePlan {
	return hostilePlan{who: who, setup: func(t *testing.T, c *suiteCast) (map[string]string, func(*testing.T)) {
		r := c.requestIn(t, state, "hostile")
		return map[string]string{"id": r.ID, "attachment_id": r.Attachment}, func(t *testing.T) { c.stillUsable(t, r.ID) }
	}}
}

func requesterOf(_ *testing.T, c *suiteCast) string { return c.requester.Token }
func responderOf(_ *testing.T, c *suiteCast) string { return c.responder.Token }
func plCoordOf(_ *testing.T, c *suiteCast) string   { return c.plCoord.Token }
func helpdeskOf(_ *testing.T, c *suiteCast) string  { return c.helpdesk }
func nobody(*testing.T, *suiteCast) string          { return "" }

// plain is a plan for an operation on no particular resource.
func plain(who func(t *testing.T, c *suiteCast) string) hostilePlan {
	return hostilePlan{who: who, setup: func(*testing.T, *suiteCast) (map[string]string, func(*testing.T)) { return nil, nil }}
}

// hostilePlans covers every operation of the document; the test fails on
// an operation without a plan, so a new operation cannot escape it.
var hostilePlans = map[string]hostilePlan{
	"GET /healthz":                             plain(nobody),
	"GET /readyz":                              plain(nobody),
	"GET /api/v1/openapi.json":                 plain(nobody),
	"GET /api/v1/countries":                    plain(nobody),
	"GET /api/v1/areas":                        plain(nobody),
	"GET /api/v1/areas/{code}":                 {who: nobody, setup: fixed(map[string]string{"code": "services"})},
	"POST /api/v1/auth/login":                  plain(nobody),
	"POST /api/v1/auth/activate":               plain(nobody),
	"POST /api/v1/auth/password-reset/request": plain(nobody),
	"POST /api/v1/auth/password-reset":         plain(nobody),
	"POST /api/v1/registrations": {who: nobody, setup: withInvitation, body: func(_ *suiteCast, params map[string]string) any {
		return map[string]any{"invitation_token": params["invitation"],
			"authority":  hostileAuthority("PL", "regional", "Pomorskie"),
			"first_user": map[string]any{"email": systemtest.UniqueEmail("hostile-first"), "display_name": "First Official", "language": "en", "password": systemtest.ActivePassword}}
	}},
	"POST /api/v1/auth/logout": {
		// Its own session: a hostile logout that works ends it.
		who: func(t *testing.T, c *suiteCast) string {
			return c.sys.Login(t, c.deCoord.Email, systemtest.ActivePassword)
		},
		setup: func(*testing.T, *suiteCast) (map[string]string, func(*testing.T)) { return nil, nil },
	},
	"GET /api/v1/me": plain(requesterOf),
	"PATCH /api/v1/me": plain(requesterOf).withBody(func(*suiteCast) any {
		return map[string]any{"language": "en"}
	}),
	"POST /api/v1/coordinators": plain(helpdeskOf).withBody(func(*suiteCast) any {
		return map[string]any{"kind": "national_coordinator", "authority": hostileAuthority("LU", "national", ""), "first_user": map[string]any{"email": systemtest.UniqueEmail("hostile-first"), "display_name": "First Official", "language": "en"}}
	}),
	"POST /api/v1/invitations": plain(plCoordOf).withBody(func(*suiteCast) any {
		return map[string]any{"email": systemtest.UniqueEmail("hostile-invitee"), "language": "en", "region": "Pomorskie", "note": "Welcome"}
	}),
	"GET /api/v1/registrations":               plain(plCoordOf),
	"GET /api/v1/registrations/{id}":          onRegistration(),
	"POST /api/v1/registrations/{id}/approve": onRegistration(),
	"POST /api/v1/registrations/{id}/reject":  onRegistration().withBody(func(*suiteCast) any { return map[string]any{"reason": "not an authority of ours"} }),
	"POST /api/v1/authorities": plain(plCoordOf).withBody(func(*suiteCast) any {
		return map[string]any{"authority": hostileAuthority("PL", "regional", "Pomorskie"), "first_user": map[string]any{"email": systemtest.UniqueEmail("hostile-first"), "display_name": "First Official", "language": "en"}}
	}),
	"GET /api/v1/authorities":            plain(requesterOf),
	"GET /api/v1/authorities/{id}":       onOwnAuthority(),
	"GET /api/v1/authorities/{id}/users": onOwnAuthority(),
	"POST /api/v1/authorities/{id}/users": onOwnAuthority().withBody(func(*suiteCast) any {
		return map[string]any{"email": systemtest.UniqueEmail("hostile-user"), "display_name": "Hostile Colleague", "language": "en",
			"roles": []map[string]any{{"role": "request_handler", "area": "services"}}}
	}),
	"PATCH /api/v1/authorities/{id}/users/{user_id}": onColleague().withBody(func(*suiteCast) any {
		return map[string]any{"display_name": "Renamed Colleague", "language": "de"}
	}),
	"GET /api/v1/notifications": plain(helpdeskOf),
	"GET /api/v1/requests":      plain(requesterOf),
	"POST /api/v1/requests": plain(requesterOf).withBody(func(c *suiteCast) any {
		return map[string]any{"area": "services", "responding_authority": c.responder.AuthorityID.String(),
			"subject": "Hostile subject", "subject_lang": "en", "questions": []string{"legally-established"},
			"free_text": "Hostile free text", "free_text_lang": "en", "personal_data": map[string]string{"name": "Hostile Name"},
			"needed_by": inDays(20)}
	}),
	"GET /api/v1/requests/{id}": onRequest("ACCEPTED", requesterOf),
	"PATCH /api/v1/requests/{id}": onRequest("DRAFT", requesterOf).withBody(func(*suiteCast) any {
		return map[string]any{"subject": "Edited subject", "free_text": "Edited text", "personal_data": map[string]string{"name": "Edited Name"}, "needed_by": inDays(25)}
	}),
	"DELETE /api/v1/requests/{id}":    onRequest("DRAFT", requesterOf),
	"POST /api/v1/requests/{id}/send": onRequest("DRAFT", requesterOf),
	"POST /api/v1/requests/{id}/accept": onRequest("AWAITING_ACCEPTANCE", responderOf).withBody(func(*suiteCast) any {
		return map[string]any{"proposed_reply_date": inDays(30), "text": "accepted", "text_lang": "en"}
	}),
	"POST /api/v1/requests/{id}/forward": onRequest("AWAITING_ACCEPTANCE", responderOf).withBody(func(c *suiteCast) any {
		return map[string]any{"forward_to": c.plOther.AuthorityID.String(), "text": "yours", "text_lang": "en"}
	}),
	"POST /api/v1/requests/{id}/assign": onRequest("AWAITING_ACCEPTANCE", responderOf).withBody(func(c *suiteCast) any {
		return map[string]any{"handler": c.responder.UserID.String(), "text": "yours", "text_lang": "en"}
	}),
	"POST /api/v1/requests/{id}/answer": onRequest("ACCEPTED", responderOf).withBody(func(*suiteCast) any {
		return map[string]any{"answers": []map[string]string{{"question": "legally-established", "value": "yes"},
			{"question": "registration-date", "value": "2019-05-02"}, {"question": "sanctions", "value": "no"}}, "text": "answered", "text_lang": "en"}
	}),
	"POST /api/v1/requests/{id}/request-clarification": onRequest("ANSWERED", requesterOf).withBody(textBody),
	"POST /api/v1/requests/{id}/clarify":               onRequest("CLARIFICATION_REQUESTED", responderOf).withBody(textBody),
	"POST /api/v1/requests/{id}/close": onRequest("ANSWERED", requesterOf).withBody(func(*suiteCast) any {
		return map[string]any{"timeliness_rating": 5, "effort_rating": 4, "text": "thanks", "text_lang": "en"}
	}),
	"POST /api/v1/requests/{id}/withdraw": onRequest("AWAITING_ACCEPTANCE", requesterOf).withBody(textBody),
	"POST /api/v1/requests/{id}/refer":    onRequest("ANSWERED", requesterOf).withBody(textBody),
	"POST /api/v1/requests/{id}/message":  onRequest("ACCEPTED", requesterOf).withBody(textBody),
	"POST /api/v1/requests/{id}/propose-deadline": onRequest("ACCEPTED", responderOf).withBody(func(*suiteCast) any {
		return map[string]any{"proposed_reply_date": inDays(40), "text": "later", "text_lang": "en"}
	}),
	"POST /api/v1/requests/{id}/agree-deadline":             onRequest("PROPOSED", requesterOf).withBody(textBody),
	"GET /api/v1/requests/{id}/assignees":                   onRequest("AWAITING_ACCEPTANCE", responderOf),
	"GET /api/v1/requests/{id}/timeline":                    onRequest("ACCEPTED", requesterOf),
	"GET /api/v1/requests/{id}/access-log":                  onRequest("ACCEPTED", requesterOf),
	"GET /api/v1/requests/{id}/audit-export":                onRequest("ACCEPTED", plCoordOf),
	"GET /api/v1/requests/{id}/attachments":                 onRequest("ACCEPTED", responderOf),
	"POST /api/v1/requests/{id}/attachments":                func() hostilePlan { p := onRequest("ACCEPTED", requesterOf); p.extra = hostileUploads; return p }(),
	"GET /api/v1/requests/{id}/attachments/{attachment_id}": onRequest("ACCEPTED", responderOf),
	"POST /api/v1/requests/{id}/coordination/forward": onRequest("AWAITING_ACCEPTANCE", plCoordOf).withBody(func(c *suiteCast) any {
		return reasonBody("forward_to", c.plOther.AuthorityID.String())(c)
	}),
	"POST /api/v1/requests/{id}/coordination/accept": onRequest("AWAITING_ACCEPTANCE", plCoordOf).withBody(reasonBody()),
	"POST /api/v1/requests/{id}/coordination/chase":  onRequest("AWAITING_ACCEPTANCE", plCoordOf).withBody(reasonBody()),
	"POST /api/v1/requests/{id}/coordination/note":   onRequest("REFERRED", plCoordOf).withBody(reasonBody()),
	"POST /api/v1/requests/{id}/coordination/return": onRequest("REFERRED", plCoordOf).withBody(reasonBody("return_to", "ANSWERED")),
	"POST /api/v1/requests/{id}/coordination/close":  onRequest("REFERRED", plCoordOf).withBody(reasonBody()),
	"GET /api/v1/coordination/requests":              plain(plCoordOf),
	"GET /api/v1/stats":                              plain(plCoordOf),
}

func fixed(params map[string]string) func(*testing.T, *suiteCast) (map[string]string, func(*testing.T)) {
	return func(*testing.T, *suiteCast) (map[string]string, func(*testing.T)) { return params, nil }
}

// onRegistration is a pending registration of Poland, handled by Poland's
// national coordinator.
func onRegistration() hostilePlan {
	return hostilePlan{who: plCoordOf, setup: func(t *testing.T, c *suiteCast) (map[string]string, func(*testing.T)) {
		id := c.registration(t, c.plCoord, "PL", "hostile")
		return map[string]string{"id": id}, func(t *testing.T) {
			if r := c.sys.Do(t, http.MethodGet, "/api/v1/registrations/"+id, c.plCoord.Token, nil); r.Status != http.StatusOK {
				t.Errorf("registration %s afterwards: %d %s", id, r.Status, r.Body)
			}
		}
	}}
}

// withInvitation has Poland's coordinator invite an authority: the token
// lets the hostile registrations run past the invitation's check.
func withInvitation(t *testing.T, c *suiteCast) (map[string]string, func(*testing.T)) {
	invitee := systemtest.UniqueEmail("hostile-registrant")
	if r := c.sys.Do(t, http.MethodPost, "/api/v1/invitations", c.plCoord.Token, map[string]any{"email": invitee, "language": "en"}); r.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	msg := c.sys.Mail.WaitForMessages(t, invitee, 1, 30*time.Second)[0]
	m := regexp.MustCompile(`invitation=([A-Za-z0-9_-]+)`).FindStringSubmatch(msg.Text)
	if m == nil {
		t.Fatalf("invitation mail without a link:\n%s", msg.Text)
	}
	return map[string]string{"invitation": m[1]}, nil
}

// onColleague is a second official of the requester's authority, whom the
// requester (its local data administrator) manages.
func onColleague() hostilePlan {
	return hostilePlan{who: requesterOf, setup: func(t *testing.T, c *suiteCast) (map[string]string, func(*testing.T)) {
		resp := c.sys.Do(t, http.MethodPost, "/api/v1/authorities/"+c.requester.AuthorityID.String()+"/users", c.requester.Token, map[string]any{
			"email": systemtest.UniqueEmail("hostile-colleague"), "display_name": "Colleague", "language": "en",
			"roles": []map[string]any{{"role": "request_handler", "area": "services"}}})
		if resp.Status != http.StatusCreated {
			t.Fatalf("create a colleague: %d %s", resp.Status, resp.Body)
		}
		id, _ := resp.Map(t)["id"].(string)
		return map[string]string{"id": c.requester.AuthorityID.String(), "user_id": id}, nil
	}}
}

// hostileUploads are multipart uploads with hostile file names, flags and
// framing.
func hostileUploads() []hostileCase {
	pdf := "%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
	part := func(class, filename, personal, content string) hostileCase {
		body := "--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + filename + "\"\r\nContent-Type: application/pdf\r\n\r\n" +
			content + "\r\n--B\r\nContent-Disposition: form-data; name=\"personal\"\r\n\r\n" + personal + "\r\n--B--\r\n"
		return hostileCase{class: class, kind: class, body: []byte(body), contentType: "multipart/form-data; boundary=B"}
	}
	return []hostileCase{
		part("file name with NUL", "a\x00b.pdf", "true", pdf),
		part("file name with a control character", "a\x07b.pdf", "true", pdf),
		part("file name of invalid UTF-8", "a\xff\xc0\xafb.pdf", "true", pdf),
		part("file name with a UTF-8 surrogate", "a\xed\xa0\x80.pdf", "true", pdf),
		part("file name with an RTL override", "invoice\u202efdp.exe", "true", pdf),
		part("file name of 100 kB", strings.Repeat("n", 100<<10)+".pdf", "true", pdf),
		part("file name with a path", "../../etc/passwd", "true", pdf),
		part("file name empty", "", "true", pdf),
		part("personal flag with NUL", "x.pdf", "tr\x00ue", pdf),
		part("personal flag of invalid UTF-8", "x.pdf", "\xff", pdf),
		part("empty file", "x.pdf", "false", ""),
		{class: "multipart without its end", kind: "multipart truncated", body: []byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.pdf\"\r\n\r\n%PDF"), contentType: "multipart/form-data; boundary=B"},
		{class: "multipart without a boundary", kind: "multipart no boundary", body: []byte("x"), contentType: "multipart/form-data"},
		{class: "JSON instead of multipart", kind: "wrong content type", body: []byte(`{"file":"x"}`), contentType: "application/json"},
	}
}

// onOwnAuthority is the requester's own authority, of which the requester
// is the local data administrator.
func onOwnAuthority() hostilePlan {
	return hostilePlan{who: requesterOf, setup: func(t *testing.T, c *suiteCast) (map[string]string, func(*testing.T)) {
		return map[string]string{"id": c.requester.AuthorityID.String(), "user_id": c.requester.UserID.String()}, func(t *testing.T) {
			if r := c.sys.Do(t, http.MethodGet, "/api/v1/authorities/"+c.requester.AuthorityID.String()+"/users", c.requester.Token, nil); r.Status != http.StatusOK {
				t.Errorf("the authority's users afterwards: %d %s", r.Status, r.Body)
			}
		}
	}}
}

// hostileFailure is one 5xx, for the summary.
type hostileFailure struct {
	op, class string
	status    int
}

var pathParamRE = regexp.MustCompile(`\{([a-z_]+)\}`)

// TestHostile_EveryOperationAnswersHostileInputWithout5xxAndTheRequestStaysUsable
// sends, to every operation of the OpenAPI document, bodies and query
// strings generated from its schemas to break them (wrong types, missing
// and unknown fields, NUL, invalid UTF-8, RTL overrides, megabyte strings,
// deep nesting, numbers and dates out of range, tsquery operators), as a
// signed-in party of a real request in the state where the operation is
// legal. No answer may be a 5xx; the request must stay usable; the system
// ready.
func TestHostile_EveryOperationAnswersHostileInputWithout5xxAndTheRequestStaysUsable(t *testing.T) {
	started := time.Now()
	sys := systemtest.Start(t, systemtest.Options{})
	cast := newSuiteCast(t, sys)
	doc := sys.Contract.Document()

	var ops []string
	for _, path := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(path).Operations() {
			ops = append(ops, method+" "+path)
		}
	}
	sort.Strings(ops)
	var failures []hostileFailure
	sent := 0
	for _, name := range ops {
		plan, ok := hostilePlans[name]
		if !ok {
			t.Errorf("%s has no hostile plan: add one to hostilePlans", name)
			continue
		}
		method, path, _ := strings.Cut(name, " ")
		op := doc.Paths.Value(path).GetOperation(method)
		var names []string
		for _, m := range pathParamRE.FindAllStringSubmatch(path, -1) {
			names = append(names, m[1])
		}
		t.Run(name, func(t *testing.T) {
			params, after := plan.setup(t, cast)
			var base any
			if plan.body != nil {
				base = plan.body(cast, params)
			}
			cases := newHostileGenerator(*hostileSeed, name).cases(op, names, base, *hostileLimit)
			if plan.extra != nil {
				cases = append(plan.extra(), cases...)
			}
			token := plan.who(t, cast)
			for _, hc := range cases {
				target := path
				for _, n := range names {
					v := params[n]
					if hv, ok := hc.pathParams[n]; ok {
						v = hv
					} else {
						v = escapePathParam(v)
					}
					target = strings.ReplaceAll(target, "{"+n+"}", v)
				}
				req, err := http.NewRequest(method, sys.URL+withQuery(target, hc.query), nil)
				if err != nil {
					continue // a URL Go itself refuses to build cannot be sent
				}
				switch {
				case hc.contentType != "":
					req.Header.Set("Content-Type", hc.contentType)
				case hc.body != nil:
					req.Header.Set("Content-Type", "application/json")
				}
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp := sys.SendWithin(t, req, hc.body, hostileCallTimeout)
				sent++
				if resp.Err != nil {
					failures = append(failures, hostileFailure{name, hc.class, 0})
					t.Errorf("%s: no answer within %s: %v", hc.class, hostileCallTimeout, resp.Err)
					continue
				}
				if *hostileTrace {
					t.Logf("%s → %d %.200s", hc.class, resp.Status, resp.Body)
				}
				if resp.Status >= 500 {
					failures = append(failures, hostileFailure{name, hc.class, resp.Status})
					t.Errorf("%s: %d %.300s", hc.class, resp.Status, resp.Body)
				}
			}
			if after != nil {
				after(t)
			}
		})
	}
	if r := sys.Do(t, http.MethodGet, "/readyz", "", nil); r.Status != http.StatusOK {
		t.Errorf("/readyz after the hostile input: %d %s", r.Status, r.Body)
	}
	if len(failures) > 0 {
		var b strings.Builder
		for _, f := range failures {
			status := strconv.Itoa(f.status)
			if f.status == 0 {
				status = "hung"
			}
			fmt.Fprintf(&b, "\n  %s | %s | %s", f.op, f.class, status)
		}
		t.Errorf("%d of %d hostile calls answered 5xx or hung:%s", len(failures), sent, b.String())
	}
	t.Logf("hostile suite: %d calls to %d operations in %s (seed %d)", sent, len(ops), time.Since(started).Round(time.Millisecond), *hostileSeed)
}
