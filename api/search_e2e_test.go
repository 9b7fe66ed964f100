package api_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"testing"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

type searchPage struct {
	Items []struct {
		ID           string `json:"id"`
		OfficialName string `json:"official_name"`
		Designation  *struct {
			Text     string `json:"text"`
			Lang     string `json:"lang"`
			Fallback bool   `json:"fallback"`
		} `json:"designation"`
	} `json:"items"`
	Total    int    `json:"total"`
	Page     int    `json:"page"`
	PageSize int    `json:"page_size"`
	Lang     string `json:"lang"`
}

func (p searchPage) names() []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.OfficialName)
	}
	slices.Sort(out)
	return out
}

// directoryFixture registers, through the API, authorities of two
// countries whose words are in their own languages.
func directoryFixture(t *testing.T, sys *systemtest.System) (searcher string) {
	t.Helper()
	pl := sys.NationalCoordinator(t, "PL")
	de := sys.NationalCoordinator(t, "DE")
	register := func(token string, authority map[string]any) {
		t.Helper()
		resp := sys.Do(t, http.MethodPost, "/api/v1/authorities", token, map[string]any{
			"authority":  authority,
			"first_user": map[string]any{"email": systemtest.UniqueEmail("lda"), "display_name": "Administrator", "language": authority["official_name_lang"]},
		})
		if resp.Status != http.StatusCreated {
			t.Fatalf("register %v: %d %s", authority["official_name"], resp.Status, resp.Body)
		}
	}
	register(pl.Token, map[string]any{
		"official_name": "Naczelna Izba Lekarska", "official_name_lang": "pl", "country": "PL", "level": "national",
		"designation":        map[string]string{"pl": "Samorząd lekarzy", "en": "Supreme Medical Chamber"},
		"functional_mailbox": systemtest.UniqueEmail("nil"),
		"areas":              []map[string]any{{"area": "professional-qualifications", "competences": []string{"doctor", "dentist"}}},
	})
	register(pl.Token, map[string]any{
		"official_name": "Urząd Miasta Gdańska", "official_name_lang": "pl", "country": "PL", "region": "Pomorskie", "level": "local",
		"designation":        map[string]string{"pl": "Urząd miasta", "de": "Stadtverwaltung Danzig"},
		"functional_mailbox": systemtest.UniqueEmail("gdansk"),
		"areas":              []map[string]any{{"area": "services", "competences": []string{"construction", "retail"}}},
	})
	register(pl.Token, map[string]any{
		"official_name": "Krajowa Izba Architektów RP", "official_name_lang": "pl", "country": "PL", "level": "national",
		"designation":        map[string]string{"pl": "Izba architektów"},
		"functional_mailbox": systemtest.UniqueEmail("iarp"),
		"areas":              []map[string]any{{"area": "professional-qualifications", "competences": []string{"architect"}}},
	})
	register(de.Token, map[string]any{
		"official_name": "Bayerische Landesärztekammer", "official_name_lang": "de", "country": "DE", "region": "Bayern", "level": "regional",
		"designation":        map[string]string{"de": "Landesärztekammer", "en": "Bavarian Medical Chamber"},
		"functional_mailbox": systemtest.UniqueEmail("blaek"),
		"areas":              []map[string]any{{"area": "professional-qualifications", "competences": []string{"doctor"}}},
	})
	// A pending authority is never found.
	pending := sys.Authority(t, "PL", "Mazowieckie", []models.AuthorityArea{{AreaCode: "professional-qualifications", Competences: []string{"doctor"}}}, nil)
	if err := sys.Store.DB().Exec("UPDATE authorities SET status = 'pending_validation', search_document = to_tsvector('simple', 'lekarz doctor') WHERE id = ?", pending.AuthorityID).Error; err != nil {
		t.Fatal(err)
	}
	return de.Token
}

func search(t *testing.T, sys *systemtest.System, token string, params url.Values) searchPage {
	t.Helper()
	resp := sys.Do(t, http.MethodGet, "/api/v1/authorities?"+params.Encode(), token, nil)
	if resp.Status != http.StatusOK {
		t.Fatalf("search %v: %d %s", params, resp.Status, resp.Body)
	}
	var page searchPage
	resp.JSON(t, &page)
	return page
}

func TestSearch_FindsAuthoritiesByWordsInAnyLanguageWithoutAccentsOrCase(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	token := directoryFixture(t, sys)
	medical := []string{"Bayerische Landesärztekammer", "Naczelna Izba Lekarska"}
	for _, q := range []string{"médecin", "medecin", "Arzt", "ARZT", "doctor", "physician", "lekarz", "médico", "läkare"} {
		t.Run(q, func(t *testing.T) {
			if got := search(t, sys, token, url.Values{"q": {q}}).names(); !slices.Equal(got, medical) {
				t.Errorf("q=%s found %v, want the two medical chambers", q, got)
			}
		})
	}
	if got := search(t, sys, token, url.Values{"q": {"gdansk"}}).names(); !slices.Equal(got, []string{"Urząd Miasta Gdańska"}) {
		t.Errorf("q=gdansk (no accent) found %v", got)
	}
	if got := search(t, sys, token, url.Values{"q": {"landesarzte"}}).names(); !slices.Equal(got, []string{"Bayerische Landesärztekammer"}) {
		t.Errorf("a prefix without umlaut found %v", got)
	}
	if got := search(t, sys, token, url.Values{"q": {"doctor architect"}}).names(); len(got) != 0 {
		t.Errorf("two words that no single authority has found %v", got)
	}
}

func TestSearch_FiltersNarrowTheResults(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	token := directoryFixture(t, sys)
	cases := []struct {
		params url.Values
		want   []string
	}{
		{url.Values{"q": {"doctor"}, "country": {"PL"}}, []string{"Naczelna Izba Lekarska"}},
		{url.Values{"area": {"services"}}, []string{"Urząd Miasta Gdańska"}},
		{url.Values{"area": {"professional-qualifications"}, "competence": {"architect"}}, []string{"Krajowa Izba Architektów RP"}},
		{url.Values{"competence": {"doctor"}}, []string{"Bayerische Landesärztekammer", "Naczelna Izba Lekarska"}},
		{url.Values{"level": {"local"}}, []string{"Urząd Miasta Gdańska"}},
		{url.Values{"region": {"bayern"}}, []string{"Bayerische Landesärztekammer"}},
		{url.Values{"country": {"FR"}}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.params.Encode(), func(t *testing.T) {
			got := search(t, sys, token, tc.params)
			names := got.names()
			if !slices.Equal(names, tc.want) {
				t.Errorf("%v found %v, want %v", tc.params, names, tc.want)
			}
		})
	}
}

func TestSearch_PagesAreRankedAndShownInTheCallersLanguage(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	token := directoryFixture(t, sys)

	all := search(t, sys, token, url.Values{"country": {"PL"}, "page_size": {"100"}})
	var seen []string
	for page := 1; page <= all.Total; page++ {
		p := search(t, sys, token, url.Values{"country": {"PL"}, "page_size": {"1"}, "page": {strconv.Itoa(page)}})
		if p.Total != all.Total || len(p.Items) != 1 {
			t.Fatalf("page %d: %d items of %d, want 1 of %d", page, len(p.Items), p.Total, all.Total)
		}
		seen = append(seen, p.Items[0].ID)
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) != all.Total {
		t.Errorf("paging one by one visited %d distinct authorities, want %d", len(seen), all.Total)
	}

	// Rank: the chamber whose own name says "lekarska" comes before the one
	// matched only through its competence's keywords.
	ranked := search(t, sys, token, url.Values{"q": {"lekarz"}})
	if len(ranked.Items) != 2 || ranked.Items[0].OfficialName != "Naczelna Izba Lekarska" {
		t.Errorf("q=lekarz ranked %v first, want Naczelna Izba Lekarska, whose designation says lekarzy", ranked.Items[0].OfficialName)
	}

	de := search(t, sys, token, url.Values{"q": {"gdansk"}, "lang": {"de"}})
	if d := de.Items[0].Designation; de.Lang != "de" || d == nil || d.Text != "Stadtverwaltung Danzig" || d.Fallback {
		t.Errorf("in German: lang %s designation %+v", de.Lang, d)
	}
	fr := search(t, sys, token, url.Values{"q": {"architektow"}, "lang": {"fr"}})
	if d := fr.Items[0].Designation; d == nil || !d.Fallback || d.Text != "Izba architektów" {
		t.Errorf("in French, with no French nor English designation: %+v, want the Polish one flagged as a fallback", d)
	}
}

func TestSearch_BadInputIs4xxAndUnsignedCallersAreRefused(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	token := sys.NationalCoordinator(t, "FR").Token
	cases := []struct {
		query  string
		status int
	}{
		{"page=abc", http.StatusBadRequest},
		{"page_size=1000", http.StatusUnprocessableEntity},
		{"page=0", http.StatusUnprocessableEntity},
		{"page=1000&page_size=100", http.StatusUnprocessableEntity},
		{"country=XX", http.StatusUnprocessableEntity},
		{"country=pl", http.StatusUnprocessableEntity},
		{"area=fishing", http.StatusUnprocessableEntity},
		{"area=services&competence=dentist", http.StatusUnprocessableEntity},
		{"level=galactic", http.StatusUnprocessableEntity},
		// unaccent turns these letters into tsquery syntax; still no 500.
		{"q=" + url.QueryEscape("ʼ"), http.StatusOK},
		{"q=" + url.QueryEscape("ŉ kː"), http.StatusOK},
	}
	for _, tc := range cases {
		resp := sys.Do(t, http.MethodGet, "/api/v1/authorities?"+tc.query, token, nil)
		if resp.Status != tc.status || (tc.status != http.StatusOK && resp.ErrorCode() == "") {
			t.Errorf("%s: %d %s, want %d in the error shape", tc.query, resp.Status, resp.Body, tc.status)
		}
	}
	if resp := sys.Do(t, http.MethodGet, "/api/v1/authorities?q=doctor", "", nil); resp.Status != http.StatusUnauthorized {
		t.Errorf("search without signing in: %d, want 401", resp.Status)
	}
}
