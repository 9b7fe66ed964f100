package api_test

import (
	"flag"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/system/systemtest"
)

// hostileSeed and hostileLimit make the hostile suite reproducible and
// bounded: the same seed sends the same cases; -hostile-seed explores.
var (
	hostileSeed  = flag.Uint64("hostile-seed", 13, "seed of the hostile input suite's case generation")
	hostileLimit = flag.Int("hostile-cases", 45, "most hostile cases sent to one operation")
)

// hostilePlan says how an operation is called so that it runs deep: by
// whom (a token), on what (its path parameters, a resource in the state
// where the operation is legal), and what must still work afterwards.
type hostilePlan struct {
	who   func(t *testing.T, c *suiteCast) string
	setup func(t *testing.T, c *suiteCast) (params map[string]string, after func(t *testing.T))
}

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
	"GET /metrics":                             plain(nobody),
	"GET /api/v1/openapi.json":                 plain(nobody),
	"GET /api/v1/countries":                    plain(nobody),
	"GET /api/v1/areas":                        plain(nobody),
	"GET /api/v1/areas/{code}":                 {who: nobody, setup: fixed(map[string]string{"code": "services"})},
	"POST /api/v1/auth/login":                  plain(nobody),
	"POST /api/v1/auth/activate":               plain(nobody),
	"POST /api/v1/auth/password-reset/request": plain(nobody),
	"POST /api/v1/auth/password-reset":         plain(nobody),
	"POST /api/v1/registrations":               plain(nobody),
	"POST /api/v1/auth/logout": {
		// Its own session: a hostile logout that works ends it.
		who: func(t *testing.T, c *suiteCast) string {
			return c.sys.Login(t, c.deCoord.Email, systemtest.ActivePassword)
		},
		setup: func(*testing.T, *suiteCast) (map[string]string, func(*testing.T)) { return nil, nil },
	},
	"GET /api/v1/me":                                        plain(requesterOf),
	"POST /api/v1/coordinators":                             plain(helpdeskOf),
	"POST /api/v1/invitations":                              plain(plCoordOf),
	"GET /api/v1/registrations":                             plain(plCoordOf),
	"GET /api/v1/registrations/{id}":                        onRegistration(),
	"POST /api/v1/registrations/{id}/approve":               onRegistration(),
	"POST /api/v1/registrations/{id}/reject":                onRegistration(),
	"POST /api/v1/authorities":                              plain(plCoordOf),
	"GET /api/v1/authorities":                               plain(requesterOf),
	"GET /api/v1/authorities/{id}":                          onOwnAuthority(),
	"GET /api/v1/authorities/{id}/users":                    onOwnAuthority(),
	"POST /api/v1/authorities/{id}/users":                   onOwnAuthority(),
	"PATCH /api/v1/authorities/{id}/users/{user_id}":        onOwnAuthority(),
	"GET /api/v1/notifications":                             plain(helpdeskOf),
	"GET /api/v1/requests":                                  plain(requesterOf),
	"POST /api/v1/requests":                                 plain(requesterOf),
	"GET /api/v1/requests/{id}":                             onRequest("ACCEPTED", requesterOf),
	"PATCH /api/v1/requests/{id}":                           onRequest("DRAFT", requesterOf),
	"DELETE /api/v1/requests/{id}":                          onRequest("DRAFT", requesterOf),
	"POST /api/v1/requests/{id}/send":                       onRequest("DRAFT", requesterOf),
	"POST /api/v1/requests/{id}/accept":                     onRequest("AWAITING_ACCEPTANCE", responderOf),
	"POST /api/v1/requests/{id}/forward":                    onRequest("AWAITING_ACCEPTANCE", responderOf),
	"POST /api/v1/requests/{id}/assign":                     onRequest("AWAITING_ACCEPTANCE", responderOf),
	"POST /api/v1/requests/{id}/answer":                     onRequest("ACCEPTED", responderOf),
	"POST /api/v1/requests/{id}/request-clarification":      onRequest("ANSWERED", requesterOf),
	"POST /api/v1/requests/{id}/clarify":                    onRequest("CLARIFICATION_REQUESTED", responderOf),
	"POST /api/v1/requests/{id}/close":                      onRequest("ANSWERED", requesterOf),
	"POST /api/v1/requests/{id}/withdraw":                   onRequest("AWAITING_ACCEPTANCE", requesterOf),
	"POST /api/v1/requests/{id}/refer":                      onRequest("ANSWERED", requesterOf),
	"POST /api/v1/requests/{id}/message":                    onRequest("ACCEPTED", requesterOf),
	"POST /api/v1/requests/{id}/propose-deadline":           onRequest("ACCEPTED", responderOf),
	"POST /api/v1/requests/{id}/agree-deadline":             onRequest("PROPOSED", requesterOf),
	"GET /api/v1/requests/{id}/timeline":                    onRequest("ACCEPTED", requesterOf),
	"GET /api/v1/requests/{id}/access-log":                  onRequest("ACCEPTED", requesterOf),
	"GET /api/v1/requests/{id}/attachments":                 onRequest("ACCEPTED", responderOf),
	"POST /api/v1/requests/{id}/attachments":                onRequest("ACCEPTED", requesterOf),
	"GET /api/v1/requests/{id}/attachments/{attachment_id}": onRequest("ACCEPTED", responderOf),
	"POST /api/v1/requests/{id}/coordination/forward":       onRequest("AWAITING_ACCEPTANCE", plCoordOf),
	"POST /api/v1/requests/{id}/coordination/accept":        onRequest("AWAITING_ACCEPTANCE", plCoordOf),
	"POST /api/v1/requests/{id}/coordination/chase":         onRequest("AWAITING_ACCEPTANCE", plCoordOf),
	"POST /api/v1/requests/{id}/coordination/note":          onRequest("REFERRED", plCoordOf),
	"POST /api/v1/requests/{id}/coordination/return":        onRequest("REFERRED", plCoordOf),
	"POST /api/v1/requests/{id}/coordination/close":         onRequest("REFERRED", plCoordOf),
	"GET /api/v1/coordination/requests":                     plain(plCoordOf),
	"GET /api/v1/stats":                                     plain(plCoordOf),
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
		cases := newHostileGenerator(*hostileSeed, name).cases(op, names, *hostileLimit)
		t.Run(name, func(t *testing.T) {
			params, after := plan.setup(t, cast)
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
				if hc.body != nil {
					req.Header.Set("Content-Type", "application/json")
				}
				if token != "" {
					req.Header.Set("Authorization", "Bearer "+token)
				}
				resp := sys.Send(t, req, hc.body)
				sent++
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
			fmt.Fprintf(&b, "\n  %s | %s | %d", f.op, f.class, f.status)
		}
		t.Errorf("%d of %d hostile calls answered 5xx:%s", len(failures), sent, b.String())
	}
	t.Logf("hostile suite: %d calls to %d operations in %s (seed %d)", sent, len(ops), time.Since(started).Round(time.Millisecond), *hostileSeed)
}
