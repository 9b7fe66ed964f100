package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/openimi/openimi/system/systemtest"
)

type boxItem struct {
	ID                string `json:"id"`
	Reference         string `json:"reference"`
	OtherPartyName    string `json:"other_party_name"`
	OtherPartyCountry string `json:"other_party_country"`
}

func boxItems(t *testing.T, sys *systemtest.System, who systemtest.Official, query string) []boxItem {
	t.Helper()
	resp := sys.Do(t, http.MethodGet, "/api/v1/requests?"+query, who.Token, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("box %s: %d %s", query, resp.Status, resp.Body)
	}
	var page struct {
		Items []boxItem `json:"items"`
	}
	resp.JSON(t, &page)
	return page.Items
}

func authorityName(t *testing.T, sys *systemtest.System, of systemtest.Official) (name, country string) {
	t.Helper()
	row := sys.Store.DB().Raw("SELECT official_name, country_code FROM authorities WHERE id = ?", of.AuthorityID).Row()
	if err := row.Scan(&name, &country); err != nil {
		t.Fatal(err)
	}
	return name, country
}

func TestBoxes_NameTheOtherPartyAndFindARequestByItsReference(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	sent := act(t, sys, requester, d.ID, "send", nil, http.StatusOK)
	other := draft(t, sys, requester, responder)
	act(t, sys, requester, other.ID, "send", nil, http.StatusOK)

	for _, c := range []struct {
		who, other systemtest.Official
		box        string
	}{{requester, responder, "outgoing"}, {responder, requester, "incoming"}} {
		name, country := authorityName(t, sys, c.other)
		items := boxItems(t, sys, c.who, "box="+c.box)
		if len(items) != 2 {
			t.Fatalf("%s box: %d items, want 2", c.box, len(items))
		}
		for _, it := range items {
			if it.OtherPartyName != name || it.OtherPartyCountry != country {
				t.Errorf("%s box names the other party %q (%s), want %q (%s)", c.box, it.OtherPartyName, it.OtherPartyCountry, name, country)
			}
		}
		// The reference is matched exactly, whatever its case and blanks.
		q := url.Values{"box": {c.box}, "reference": {"  " + strings.ToLower(sent.Reference) + " "}}
		found := boxItems(t, sys, c.who, q.Encode())
		if len(found) != 1 || found[0].ID != d.ID {
			t.Errorf("%s box searched by %s lists %+v, want only %s", c.box, sent.Reference, found, d.ID)
		}
		prefix := url.Values{"box": {c.box}, "reference": {sent.Reference[:len(sent.Reference)-1]}}
		if found := boxItems(t, sys, c.who, prefix.Encode()); len(found) != 0 {
			t.Errorf("%s box searched by a reference's prefix lists %+v, want nothing", c.box, found)
		}
	}

	// Need-to-know is unchanged: a colleague without the area's role, and
	// another authority, find nothing by the reference.
	q := url.Values{"box": {"incoming"}, "reference": {sent.Reference}}
	outsider := sys.Authority(t, "FR", "Bretagne", nil, nil)
	for name, who := range map[string]systemtest.Official{
		"a colleague without the area's role": colleague(t, sys, responder, "PL", "Pomorskie"),
		"another authority":                   outsider,
	} {
		if found := boxItems(t, sys, who, q.Encode()); len(found) != 0 {
			t.Errorf("%s finds %+v by the reference", name, found)
		}
	}

	long := url.Values{"box": {"incoming"}, "reference": {strings.Repeat("X", 41)}}
	if r := sys.Do(t, http.MethodGet, "/api/v1/requests?"+long.Encode(), responder.Token, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("a reference of 41 characters: %d %s, want 422", r.Status, r.Body)
	}
}

func TestAssignees_AreTheRespondingAuthoritysHandlersOfTheAreaRefusedLikeTheAssignAction(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	// A colleague handling the area, and one handling another area only.
	handler := colleague(t, sys, responder, "PL", "Pomorskie")
	if err := sys.Store.DB().Exec("INSERT INTO user_roles (user_id, role, area_code) VALUES (?, 'request_handler', 'services')", handler.UserID).Error; err != nil {
		t.Fatal(err)
	}
	elsewhere := colleague(t, sys, responder, "PL", "Pomorskie")
	d := draft(t, sys, requester, responder)
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)

	resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/assignees", responder.Token, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("assignees: %d %s", resp.Status, resp.Body)
	}
	var got struct {
		Reference string `json:"reference"`
		Items     []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	resp.JSON(t, &got)
	ids := map[string]bool{}
	for _, it := range got.Items {
		ids[it.ID] = true
	}
	if len(ids) != 2 || !ids[responder.UserID.String()] || !ids[handler.UserID.String()] || ids[elsewhere.UserID.String()] {
		t.Errorf("assignees %+v, want the responder %s and the colleague %s only", got.Items, responder.UserID, handler.UserID)
	}
	if got.Reference != d.Reference {
		t.Errorf("reference %q, want %q", got.Reference, d.Reference)
	}

	outsider := sys.Authority(t, "FR", "Bretagne", nil, nil)
	for _, c := range []struct {
		name string
		who  systemtest.Official
		want int
	}{
		{"the requesting side", requester, http.StatusForbidden},
		{"a colleague without the area's role", elsewhere, http.StatusNotFound},
		{"another authority", outsider, http.StatusNotFound},
	} {
		if r := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/assignees", c.who.Token, nil); r.Status != c.want {
			t.Errorf("%s: %d %s, want %d", c.name, r.Status, r.Body, c.want)
		}
		// The assign action refuses them the same way.
		body := map[string]any{"handler": handler.UserID.String()}
		if r := sys.Do(t, http.MethodPost, "/api/v1/requests/"+d.ID+"/assign", c.who.Token, body); r.Status != c.want {
			t.Errorf("%s assigns: %d %s, want %d", c.name, r.Status, r.Body, c.want)
		}
	}
	act(t, sys, responder, d.ID, "assign", map[string]any{"handler": handler.UserID.String()}, http.StatusOK)
}
