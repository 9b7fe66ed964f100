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
