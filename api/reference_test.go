package api_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/openimi/openimi/api"
	"github.com/openimi/openimi/internal/catalog"
)

func referenceRouter(t *testing.T) (*gin.Engine, *catalog.Catalog) {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	r, err := api.NewRouter(api.Deps{Logger: slog.New(slog.DiscardHandler), Registry: prometheus.NewRegistry(), Catalog: cat})
	if err != nil {
		t.Fatal(err)
	}
	return r, cat
}

// getJSON fetches path, checks the status, checks the body against the
// OpenAPI schema the document names for it, and decodes it into out.
func getJSON(t *testing.T, h http.Handler, path string, header http.Header, status int, schema string, out any) *httptest.ResponseRecorder {
	t.Helper()
	rec := do(h, http.MethodGet, path, header, nil)
	if rec.Code != status {
		t.Fatalf("GET %s: status %d (%s), want %d", path, rec.Code, rec.Body.String(), status)
	}
	var generic any
	if err := json.Unmarshal(rec.Body.Bytes(), &generic); err != nil {
		t.Fatalf("GET %s: body is not JSON: %v", path, err)
	}
	ref, ok := loadOpenAPI(t).Components.Schemas[schema]
	if !ok {
		t.Fatalf("the OpenAPI document has no schema %s", schema)
	}
	if err := ref.Value.VisitJSON(generic); err != nil {
		t.Errorf("GET %s: the body does not match the documented %s schema: %v", path, schema, err)
	}
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatal(err)
		}
	}
	return rec
}

func TestReference_CountriesAreListedInTheCallersLanguage(t *testing.T) {
	r, _ := referenceRouter(t)
	var resp api.CountriesResponse
	getJSON(t, r, "/api/v1/countries?lang=pl", nil, http.StatusOK, "CountriesResponse", &resp)
	if resp.Lang != "pl" || len(resp.Countries) != 30 {
		t.Fatalf("lang %q with %d countries, want pl and 30", resp.Lang, len(resp.Countries))
	}
	i := slices.IndexFunc(resp.Countries, func(c api.TranslatedCountry) bool { return c.Code == "DE" })
	if de := resp.Countries[i]; de.Name != "Niemcy" || de.Lang != "pl" || de.Fallback || !slices.Equal(de.Languages, []string{"de"}) {
		t.Errorf("Germany in Polish = %+v, want Niemcy, not a fallback", de)
	}
}

func TestReference_AreasAreListedWithTheirLegalBasis(t *testing.T) {
	r, _ := referenceRouter(t)
	var resp api.AreasResponse
	getJSON(t, r, "/api/v1/areas", http.Header{"Accept-Language": {"it-IT,it;q=0.9,en;q=0.5"}}, http.StatusOK, "AreasResponse", &resp)
	if resp.Lang != "it" {
		t.Errorf("negotiated %q from an Italian browser, want it", resp.Lang)
	}
	codes := make([]string, len(resp.Areas))
	for i, a := range resp.Areas {
		codes[i] = a.Code
	}
	if !slices.Equal(codes, []string{"professional-qualifications", "services"}) {
		t.Fatalf("areas %v, want professional-qualifications and services", codes)
	}
	if s := resp.Areas[1]; s.Name != "Servizi" || s.LegalBasis != "Direttiva 2006/123/CE relativa ai servizi nel mercato interno" || s.Fallback {
		t.Errorf("services in Italian = %+v", s)
	}
}

func TestReference_AGermanRequestGetsGermanQuestions(t *testing.T) {
	r, cat := referenceRouter(t)
	var resp api.AreaResponse
	getJSON(t, r, "/api/v1/areas/professional-qualifications", http.Header{"Accept-Language": {"de-DE,de;q=0.9"}},
		http.StatusOK, "AreaResponse", &resp)
	a := resp.Area
	if resp.Lang != "de" || a.Lang != "de" || a.Fallback || a.Name != "Berufsqualifikationen" {
		t.Fatalf("area in German: lang %q, %q %q fallback=%v", resp.Lang, a.Lang, a.Name, a.Fallback)
	}
	want, _ := cat.Area("professional-qualifications")
	if len(a.Questions) != len(want.Questions) || len(a.Competences) != len(want.Competences) {
		t.Fatalf("%d questions and %d competences, want %d and %d", len(a.Questions), len(a.Competences), len(want.Questions), len(want.Competences))
	}
	for i, q := range a.Questions {
		if q.Code != want.Questions[i].Code || q.Text != want.Questions[i].Text["de"] || q.Lang != "de" || q.Fallback {
			t.Errorf("question %d = %+v, want %s in German", i, q, want.Questions[i].Code)
		}
		for _, o := range q.Options {
			if o.Lang != "de" || o.Fallback {
				t.Errorf("question %s option %+v is not in German", q.Code, o)
			}
		}
	}
	level := a.Questions[slices.IndexFunc(a.Questions, func(q api.TranslatedQuestion) bool { return q.Code == "qualification-level" })]
	if level.AnswerType != catalog.AnswerChoice || len(level.Options) != 5 || level.Options[0].Label != "Befähigungsnachweis (Artikel 11 Buchstabe a)" {
		t.Errorf("the qualification-level question = %+v", level)
	}
	doctor := a.Competences[slices.IndexFunc(a.Competences, func(c api.TranslatedCompetence) bool { return c.Code == "doctor" })]
	if doctor.Label != "Arzt/Ärztin" || !slices.Contains(doctor.Keywords, "Ärztin") {
		t.Errorf("the doctor in German = %+v", doctor)
	}
	if a.Deadlines.Acceptance.EscalateDay != 7 || a.Retention.BlockAfterMonths != 6 {
		t.Errorf("deadlines %+v, retention %+v: not the area's", a.Deadlines, a.Retention)
	}
}

func TestReference_ADutchRequestForTextsLackingDutchGetsEnglishFlaggedAsFallback(t *testing.T) {
	r, cat := referenceRouter(t)
	var resp api.AreaResponse
	getJSON(t, r, "/api/v1/areas/services?lang=nl", nil, http.StatusOK, "AreaResponse", &resp)
	if resp.Lang != "nl" {
		t.Fatalf("negotiated %q, want nl: Dutch is supported even where a text lacks it", resp.Lang)
	}
	if a := resp.Area; a.Name != "Diensten" || a.Lang != "nl" || a.Fallback {
		t.Errorf("the area's name exists in Dutch: %+v", a.Translation)
	}
	want, _ := cat.Area("services")
	q := resp.Area.Questions[0]
	if q.Text != want.Questions[0].Text["en"] || q.Lang != "en" || !q.Fallback {
		t.Errorf("question without Dutch = %+v, want the English text with fallback true", q)
	}
	c := resp.Area.Competences[0]
	if c.Lang != "en" || !c.Fallback || c.Label != want.Competences[0].Label["en"] {
		t.Errorf("competence without a Dutch label = %+v, want English with fallback true", c)
	}
	if !slices.Contains(c.Keywords, "bouw") {
		t.Errorf("the construction competence's Dutch keywords %v lack bouw", c.Keywords)
	}
}

func TestReference_TheLangParameterBeatsAcceptLanguage(t *testing.T) {
	r, _ := referenceRouter(t)
	var resp api.AreaResponse
	rec := getJSON(t, r, "/api/v1/areas/services?lang=fr", http.Header{"Accept-Language": {"de"}}, http.StatusOK, "AreaResponse", &resp)
	if resp.Lang != "fr" || resp.Area.Name != "Services" || resp.Area.Questions[0].Lang != "fr" {
		t.Errorf("lang=fr with a German browser: answered in %q", resp.Lang)
	}
	if got := rec.Header().Get("Content-Language"); got != "fr" {
		t.Errorf("Content-Language %q, want fr", got)
	}
}

func TestReference_AnUnknownAreaIs404InTheErrorShape(t *testing.T) {
	r, _ := referenceRouter(t)
	rec := do(r, http.MethodGet, "/api/v1/areas/no-such-area?lang=de", nil, nil)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", rec.Code)
	}
	if e := decodeError(t, rec); e.Code != "not_found" {
		t.Errorf("code %q, want not_found", e.Code)
	}
	if rec.Header().Get("ETag") != "" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("a 404 is marked cacheable like the data: ETag %q, Cache-Control %q", rec.Header().Get("ETag"), rec.Header().Get("Cache-Control"))
	}
}

func TestReference_AMalformedLangIs400InTheErrorShape(t *testing.T) {
	r, _ := referenceRouter(t)
	for _, path := range []string{"/api/v1/countries?lang=%3F%3F", "/api/v1/areas?lang=x", "/api/v1/areas/services?lang=de-"} {
		rec := do(r, http.MethodGet, path, nil, nil)
		if rec.Code != http.StatusBadRequest {
			t.Errorf("GET %s: status %d, want 400", path, rec.Code)
			continue
		}
		e := decodeError(t, rec)
		details, _ := e.Details.(map[string]any)
		supported, _ := details["supported"].([]any)
		if e.Code != "invalid_language" || details["parameter"] != "lang" || !slices.Contains(supported, any("de")) {
			t.Errorf("GET %s: error %+v, want invalid_language naming the parameter and the supported languages", path, e)
		}
	}
}

func TestReference_AnswersAreCacheableAndRevalidatedByETag(t *testing.T) {
	r, _ := referenceRouter(t)
	first := do(r, http.MethodGet, "/api/v1/areas/services?lang=de", nil, nil)
	etag := first.Header().Get("ETag")
	if etag == "" || first.Header().Get("Cache-Control") != "public, max-age=300" || first.Header().Get("Vary") != "Accept-Language" {
		t.Fatalf("headers %v: want an ETag, public caching for five minutes, and Vary: Accept-Language", first.Header())
	}
	again := do(r, http.MethodGet, "/api/v1/areas/services?lang=de", http.Header{"If-None-Match": {etag}}, nil)
	if again.Code != http.StatusNotModified || again.Body.Len() != 0 {
		t.Errorf("revalidating with the ETag: %d with %d bytes, want 304 and no body", again.Code, again.Body.Len())
	}
	french := do(r, http.MethodGet, "/api/v1/areas/services?lang=fr", http.Header{"If-None-Match": {etag}}, nil)
	if french.Code != http.StatusOK || french.Header().Get("ETag") == etag {
		t.Errorf("another language with the German ETag: %d, ETag %q; want a full French answer with its own tag", french.Code, french.Header().Get("ETag"))
	}
}

func TestRouter_EveryResponseRefusesSniffingAndFramingAndTheAPIsAreNotCached(t *testing.T) {
	r, _ := referenceRouter(t)
	for _, tc := range []struct{ path, cache string }{
		{"/api/v1/countries", "public, max-age=300"},
		{"/api/v1/me", "no-store"},
		{"/api/v1/auth/login", "no-store"},
		{"/api/v1/no-such-route", "no-store"},
		{"/healthz", "no-store"},
	} {
		rec := do(r, http.MethodGet, tc.path, nil, nil)
		h := rec.Header()
		if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
			t.Errorf("%s: nosniff %q, frame %q", tc.path, h.Get("X-Content-Type-Options"), h.Get("X-Frame-Options"))
		}
		if got := h.Get("Cache-Control"); got != tc.cache {
			t.Errorf("%s: Cache-Control %q, want %q", tc.path, got, tc.cache)
		}
	}
}
