package api_test

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"testing"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

// rowCounts counts what a directory request could write.
func rowCounts(t *testing.T, sys *systemtest.System) map[string]int64 {
	t.Helper()
	counts := map[string]int64{}
	for _, table := range []string{"authorities", "authority_areas", "users", "user_roles", "invitations", "registrations", "one_time_tokens", "mail_outbox"} {
		var n int64
		if err := sys.Store.DB().Table(table).Count(&n).Error; err != nil {
			t.Fatal(err)
		}
		counts[table] = n
	}
	return counts
}

func TestDirectory_BadInputOnEveryEndpointIs4xxAndWritesNothing(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	helpdesk := sys.HelpdeskToken(t)
	nimic := sys.NationalCoordinator(t, "PL")
	lda := sys.Authority(t, "PL", "Pomorskie",
		[]models.AuthorityArea{{AreaCode: "services", Competences: []string{"retail"}}},
		[]models.UserRole{{Role: models.LocalDataAdministrator}})
	users := "/api/v1/authorities/" + lda.AuthorityID.String() + "/users"
	validAuthority := map[string]any{
		"official_name": "Urząd", "official_name_lang": "pl", "country": "PL", "level": "local",
		"functional_mailbox": "urzad@example.eu", "areas": []map[string]any{{"area": "services", "competences": []string{"retail"}}},
	}
	withAuthority := func(change func(a map[string]any)) map[string]any {
		a := map[string]any{}
		for k, v := range validAuthority {
			a[k] = v
		}
		change(a)
		return map[string]any{"authority": a, "first_user": map[string]any{"email": "u@example.eu", "display_name": "U", "language": "pl"}}
	}

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
	}{
		{"coordinator: not JSON", http.MethodPost, "/api/v1/coordinators", helpdesk, "{", http.StatusBadRequest},
		{"coordinator: empty", http.MethodPost, "/api/v1/coordinators", helpdesk, map[string]any{}, http.StatusUnprocessableEntity},
		{"coordinator: unknown kind", http.MethodPost, "/api/v1/coordinators", helpdesk, map[string]any{"kind": "emperor"}, http.StatusUnprocessableEntity},
		{"coordinator: national with a region", http.MethodPost, "/api/v1/coordinators", helpdesk,
			mergeKind(withAuthority(func(a map[string]any) { a["region"] = "Pomorskie" }), "national_coordinator"), http.StatusUnprocessableEntity},
		{"coordinator: delegated without scope", http.MethodPost, "/api/v1/coordinators", helpdesk,
			mergeKind(withAuthority(func(map[string]any) {}), "delegated_coordinator"), http.StatusUnprocessableEntity},
		{"coordinator: by an official", http.MethodPost, "/api/v1/coordinators", lda.Token,
			mergeKind(withAuthority(func(map[string]any) {}), "national_coordinator"), http.StatusForbidden},
		{"invitation: not an email", http.MethodPost, "/api/v1/invitations", nimic.Token, map[string]any{"email": "nope", "language": "pl"}, http.StatusUnprocessableEntity},
		{"invitation: unknown language", http.MethodPost, "/api/v1/invitations", nimic.Token, map[string]any{"email": "a@example.eu", "language": "xx"}, http.StatusUnprocessableEntity},
		{"invitation: unknown field", http.MethodPost, "/api/v1/invitations", nimic.Token, `{"email":"a@example.eu","language":"pl","admin":true}`, http.StatusBadRequest},
		{"invitation: by an official", http.MethodPost, "/api/v1/invitations", lda.Token, map[string]any{"email": "a@example.eu", "language": "pl"}, http.StatusForbidden},
		{"registration: empty", http.MethodPost, "/api/v1/registrations", "", map[string]any{}, http.StatusUnprocessableEntity},
		{"registration: unknown invitation", http.MethodPost, "/api/v1/registrations", "", registrationBody("no-such-invitation", "x@example.eu"), http.StatusGone},
		{"registration: weak password", http.MethodPost, "/api/v1/registrations", "", func() map[string]any {
			b := registrationBody("x", "x@example.eu")
			b["first_user"].(map[string]any)["password"] = "short"
			return b
		}(), http.StatusUnprocessableEntity},
		{"authority: unknown country", http.MethodPost, "/api/v1/authorities", nimic.Token, withAuthority(func(a map[string]any) { a["country"] = "XX" }), http.StatusUnprocessableEntity},
		{"authority: unknown area", http.MethodPost, "/api/v1/authorities", nimic.Token,
			withAuthority(func(a map[string]any) { a["areas"] = []map[string]any{{"area": "fishing"}} }), http.StatusUnprocessableEntity},
		{"authority: unknown competence", http.MethodPost, "/api/v1/authorities", nimic.Token,
			withAuthority(func(a map[string]any) {
				a["areas"] = []map[string]any{{"area": "services", "competences": []string{"dentist"}}}
			}), http.StatusUnprocessableEntity},
		{"authority: no area", http.MethodPost, "/api/v1/authorities", nimic.Token, withAuthority(func(a map[string]any) { delete(a, "areas") }), http.StatusUnprocessableEntity},
		{"authority: bad level", http.MethodPost, "/api/v1/authorities", nimic.Token, withAuthority(func(a map[string]any) { a["level"] = "cosmic" }), http.StatusUnprocessableEntity},
		{"authority: other country", http.MethodPost, "/api/v1/authorities", nimic.Token, withAuthority(func(a map[string]any) { a["country"] = "DE" }), http.StatusForbidden},
		{"user: role in an area the authority lacks", http.MethodPost, users, lda.Token, map[string]any{"email": "h@example.eu", "display_name": "H", "language": "pl",
			"roles": []map[string]string{{"role": "request_handler", "area": "professional-qualifications"}}}, http.StatusUnprocessableEntity},
		{"user: coordinator role outside a coordinator body", http.MethodPost, users, lda.Token, map[string]any{"email": "h@example.eu", "display_name": "H", "language": "pl",
			"roles": []map[string]string{{"role": "coordinator"}}}, http.StatusUnprocessableEntity},
		{"user: unknown role", http.MethodPost, users, lda.Token, map[string]any{"email": "h@example.eu", "display_name": "H", "language": "pl",
			"roles": []map[string]string{{"role": "emperor"}}}, http.StatusUnprocessableEntity},
		{"user: by another authority", http.MethodPost, users, nimic.Token, map[string]any{"email": "h@example.eu", "display_name": "H", "language": "pl"}, http.StatusNotFound},
		{"user: deactivate yourself", http.MethodPatch, users + "/" + lda.UserID.String(), lda.Token, map[string]any{"status": "deactivated"}, http.StatusUnprocessableEntity},
		{"user: drop your own administration", http.MethodPatch, users + "/" + lda.UserID.String(), lda.Token, map[string]any{"roles": []map[string]string{}}, http.StatusUnprocessableEntity},
		{"user: unknown user", http.MethodPatch, users + "/" + uuid.NewString(), lda.Token, map[string]any{"display_name": "X"}, http.StatusNotFound},
		{"user: malformed id", http.MethodPatch, users + "/not-a-uuid", lda.Token, map[string]any{"display_name": "X"}, http.StatusNotFound},
		{"reject: no reason", http.MethodPost, "/api/v1/registrations/" + uuid.NewString() + "/reject", nimic.Token, map[string]any{}, http.StatusUnprocessableEntity},
		{"approve: unknown registration", http.MethodPost, "/api/v1/registrations/" + uuid.NewString() + "/approve", nimic.Token, nil, http.StatusNotFound},
		{"activate: unknown link", http.MethodPost, "/api/v1/auth/activate", "", map[string]any{"token": "nope", "password": systemtest.ActivePassword}, http.StatusGone},
		{"activate: weak password", http.MethodPost, "/api/v1/auth/activate", "", map[string]any{"token": "nope", "password": "short"}, http.StatusUnprocessableEntity},
		{"reset: not an email", http.MethodPost, "/api/v1/auth/password-reset/request", "", map[string]any{"email": "nope"}, http.StatusUnprocessableEntity},
		{"reset: unknown link", http.MethodPost, "/api/v1/auth/password-reset", "", map[string]any{"token": "nope", "password": systemtest.ActivePassword}, http.StatusGone},
	}
	before := rowCounts(t, sys)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := sys.Do(t, tc.method, tc.path, tc.token, tc.body)
			if resp.Status != tc.status || resp.ErrorCode() == "" {
				t.Errorf("%d %s, want %d in the error shape", resp.Status, resp.Body, tc.status)
			}
		})
	}
	after := rowCounts(t, sys)
	for table, n := range before {
		if after[table] != n {
			t.Errorf("%s: %d rows before, %d after refused requests", table, n, after[table])
		}
	}
	// An unknown address asking for a reset gets the same answer as a
	// known one, and no mail.
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/password-reset/request", "", map[string]string{"email": "nobody@example.eu"}); r.Status != http.StatusAccepted {
		t.Errorf("reset for an unknown address: %d, want 202", r.Status)
	}
	if r := rowCounts(t, sys); r["mail_outbox"] != before["mail_outbox"] {
		t.Error("a reset for an unknown address enqueued a mail")
	}
}

func mergeKind(body map[string]any, kind string) map[string]any {
	body["kind"] = kind
	return body
}

// fieldsNamed are the fields an error's details name.
func fieldsNamed(t *testing.T, resp systemtest.Response) []string {
	t.Helper()
	var body struct {
		Error struct {
			Details []struct {
				Field string `json:"field"`
			} `json:"details"`
		} `json:"error"`
	}
	resp.JSON(t, &body)
	var out []string
	for _, d := range body.Error.Details {
		out = append(out, d.Field)
	}
	return out
}

func TestDirectory_HostileTextInBodiesAndQueriesIs422NamingTheFieldAndWritesNothing(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	helpdesk := sys.HelpdeskToken(t)
	nimic := sys.NationalCoordinator(t, "PL")
	lda := sys.Authority(t, "PL", "Pomorskie",
		[]models.AuthorityArea{{AreaCode: "services", Competences: []string{"retail"}}},
		[]models.UserRole{{Role: models.LocalDataAdministrator}})
	users := "/api/v1/authorities/" + lda.AuthorityID.String() + "/users"
	authority := func(field, value string) map[string]any {
		a := map[string]any{
			"official_name": "Urząd", "official_name_lang": "pl", "country": "PL", "level": "local", "region": "Pomorskie",
			"functional_mailbox": "urzad@example.eu", "address": map[string]any{"city": "Gdańsk"},
			"designation": map[string]any{"pl": "Urząd"},
			"areas":       []map[string]any{{"area": "services", "competences": []string{"retail"}}},
		}
		switch field {
		case "designation":
			a["designation"] = map[string]any{"pl": value}
		case "city":
			a["address"] = map[string]any{"city": value}
		case "competence":
			a["areas"] = []map[string]any{{"area": "services", "competences": []string{value}}}
		case "":
		default:
			a[field] = value
		}
		return a
	}
	firstUser := func(name string) map[string]any {
		return map[string]any{"email": "u@example.eu", "display_name": name, "language": "pl"}
	}
	// Go's JSON decoder turns invalid UTF-8 and lone surrogates into U+FFFD
	// but keeps escaped control characters: NUL, ESC, a C1 control.
	for _, bad := range []string{"a\x00b", "a\x1bb", "a\u0085b"} {
		before := rowCounts(t, sys)
		for _, tc := range []struct {
			name, method, path, token string
			body                      any
			field                     string
		}{
			{"coordinator name", http.MethodPost, "/api/v1/coordinators", helpdesk,
				map[string]any{"kind": "national_coordinator", "authority": authority("official_name", bad), "first_user": firstUser("U")}, "authority.official_name"},
			{"coordinator user", http.MethodPost, "/api/v1/coordinators", helpdesk,
				map[string]any{"kind": "national_coordinator", "authority": authority("", ""), "first_user": firstUser(bad)}, "first_user.display_name"},
			{"coordinator scope", http.MethodPost, "/api/v1/coordinators", helpdesk,
				map[string]any{"kind": "delegated_coordinator", "scope_area": bad, "authority": authority("", ""), "first_user": firstUser("U")}, "scope_area"},
			{"authority region", http.MethodPost, "/api/v1/authorities", nimic.Token,
				map[string]any{"authority": authority("region", bad), "first_user": firstUser("U")}, "authority.region"},
			{"authority designation", http.MethodPost, "/api/v1/authorities", nimic.Token,
				map[string]any{"authority": authority("designation", bad), "first_user": firstUser("U")}, "authority.designation[pl]"},
			{"authority city", http.MethodPost, "/api/v1/authorities", nimic.Token,
				map[string]any{"authority": authority("city", bad), "first_user": firstUser("U")}, "authority.address.city"},
			{"authority competence", http.MethodPost, "/api/v1/authorities", nimic.Token,
				map[string]any{"authority": authority("competence", bad), "first_user": firstUser("U")}, "authority.areas[0].competences[0]"},
			{"invitation note", http.MethodPost, "/api/v1/invitations", nimic.Token,
				map[string]any{"email": "a@example.eu", "language": "pl", "note": bad}, "note"},
			{"invitation region", http.MethodPost, "/api/v1/invitations", nimic.Token,
				map[string]any{"email": "a@example.eu", "language": "pl", "region": bad}, "region"},
			{"registration name", http.MethodPost, "/api/v1/registrations", "", func() map[string]any {
				b := registrationBody("x", "x@example.eu")
				b["authority"].(map[string]any)["official_name"] = bad
				return b
			}(), "authority.official_name"},
			{"registration token", http.MethodPost, "/api/v1/registrations", "", registrationBody(bad, "x@example.eu"), "invitation_token"},
			{"new user name", http.MethodPost, users, lda.Token,
				map[string]any{"email": "h@example.eu", "display_name": bad, "language": "pl"}, "display_name"},
			{"user's new name", http.MethodPatch, users + "/" + lda.UserID.String(), lda.Token,
				map[string]any{"display_name": bad}, "display_name"},
			{"rejection reason", http.MethodPost, "/api/v1/registrations/" + uuid.NewString() + "/reject", nimic.Token,
				map[string]any{"reason": bad}, "reason"},
			{"login password", http.MethodPost, "/api/v1/auth/login", "",
				map[string]any{"email": "a@example.eu", "password": bad}, "password"},
			{"activation token", http.MethodPost, "/api/v1/auth/activate", "",
				map[string]any{"token": bad, "password": systemtest.ActivePassword}, "token"},
		} {
			t.Run(fmt.Sprintf("%s %q", tc.name, bad), func(t *testing.T) {
				resp := sys.Do(t, tc.method, tc.path, tc.token, tc.body)
				if resp.Status != http.StatusUnprocessableEntity || resp.ErrorCode() != "validation_failed" {
					t.Fatalf("%d %s, want 422 validation_failed", resp.Status, resp.Body)
				}
				if got := fieldsNamed(t, resp); !slices.Contains(got, tc.field) {
					t.Errorf("fields %v, want %s among them", got, tc.field)
				}
			})
		}
		if after := rowCounts(t, sys); !maps.Equal(before, after) {
			t.Errorf("rows before %v, after hostile bodies %v", before, after)
		}
	}

	// Query strings arrive as raw bytes: invalid UTF-8, overlong and
	// surrogate sequences reach the check as they are.
	for _, tc := range []struct {
		path, token, field string
	}{
		{"/api/v1/authorities?q=%00", nimic.Token, "q"},
		{"/api/v1/authorities?q=%ff", nimic.Token, "q"},
		{"/api/v1/authorities?q=%ed%a0%80", nimic.Token, "q"},
		{"/api/v1/authorities?q=caf%c3", nimic.Token, "q"},
		{"/api/v1/authorities?region=%c0%af", nimic.Token, "region"},
		{"/api/v1/authorities?region=a%00b", nimic.Token, "region"},
		{"/api/v1/authorities?competence=%00", nimic.Token, "competence"},
		{"/api/v1/authorities?competence=%ff%fe", nimic.Token, "competence"},
		{"/api/v1/authorities?area=%ff", nimic.Token, "area"},
		{"/api/v1/authorities?area=services%00", nimic.Token, "area"},
		{"/api/v1/authorities?lang=%ff%fe", nimic.Token, "lang"},
		{"/api/v1/authorities?country=%00", nimic.Token, "country"},
		{"/api/v1/authorities?level=%00", nimic.Token, "level"},
		{"/api/v1/authorities/" + lda.AuthorityID.String() + "?lang=%00", nimic.Token, "lang"},
		{"/api/v1/authorities/" + lda.AuthorityID.String() + "?lang=%c0%af", nimic.Token, "lang"},
		{"/api/v1/notifications?status=%00", lda.Token, "status"},
	} {
		t.Run(tc.path, func(t *testing.T) {
			resp := sys.Do(t, http.MethodGet, tc.path, tc.token, nil)
			if resp.Status != http.StatusUnprocessableEntity || resp.ErrorCode() != "validation_failed" {
				t.Fatalf("%d %s, want 422 validation_failed", resp.Status, resp.Body)
			}
			if got := fieldsNamed(t, resp); !slices.Contains(got, tc.field) {
				t.Errorf("fields %v, want %s among them", got, tc.field)
			}
		})
	}
	// The search still works afterwards.
	if resp := sys.Do(t, http.MethodGet, "/api/v1/authorities?q=Urz%C4%85d&region=Pomorskie", nimic.Token, nil); resp.Status != http.StatusOK {
		t.Errorf("a plain search after the hostile ones: %d %s", resp.Status, resp.Body)
	}
}
