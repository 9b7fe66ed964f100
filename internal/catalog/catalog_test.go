package catalog_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/openimi/openimi/internal/catalog"
)

// required are the languages the specification wants every text in.
var required = []string{"en", "de", "fr", "es", "it", "pl"}

func shipped(t *testing.T) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Load()
	if err != nil {
		t.Fatalf("the shipped reference data do not load: %v", err)
	}
	return c
}

func codes[T any](items []T, code func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = code(it)
	}
	return out
}

func TestCatalog_ShipsTheThirtyCountriesWithISOCodes(t *testing.T) {
	c := shipped(t)
	want := []string{
		"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE",
		"IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK",
	}
	got := codes(c.Countries(), func(c catalog.Country) string { return c.Code })
	if !slices.Equal(got, want) {
		t.Fatalf("countries %v,\nwant the EU27 and IS, LI, NO sorted: %v", got, want)
	}
	if _, ok := c.Country("EL"); ok {
		t.Error(`Greece is listed under the EU's "EL"; the data use ISO 3166-1 ("GR")`)
	}
	greece, _ := c.Country("GR")
	if !slices.Equal(greece.Languages, []string{"el"}) {
		t.Errorf("Greece's languages %v, want [el]", greece.Languages)
	}
	belgium, _ := c.Country("BE")
	if !slices.Equal(belgium.Languages, []string{"nl", "fr", "de"}) {
		t.Errorf("Belgium's languages %v, want [nl fr de]", belgium.Languages)
	}
	norway, _ := c.Country("NO")
	if name, _, _ := norway.Name.In("no"); name != "Norge" {
		t.Errorf("Norway's name in Norwegian is %q, want Norge (a YAML reader taking \"no\" for false would lose it)", name)
	}
}

func TestCatalog_ShipsTheEUOfficialLanguagesPlusIcelandicAndNorwegian(t *testing.T) {
	c := shipped(t)
	want := []string{"bg", "cs", "da", "de", "el", "en", "es", "et", "fi", "fr", "ga", "hr", "hu", "is",
		"it", "lt", "lv", "mt", "nl", "no", "pl", "pt", "ro", "sk", "sl", "sv"}
	got := codes(c.Languages(), func(l catalog.Language) string { return l.Code })
	if !slices.Equal(got, want) {
		t.Fatalf("languages %v, want %v", got, want)
	}
	if de, _ := c.Language("de"); de.Autonym != "Deutsch" {
		t.Errorf("German's autonym %q, want Deutsch", de.Autonym)
	}
}

func TestCatalog_ShipsProfessionalQualificationsAndServices(t *testing.T) {
	c := shipped(t)
	for _, tc := range []struct {
		code, legalAct string
	}{
		{"professional-qualifications", "2005/36/EC"},
		{"services", "2006/123/EC"},
	} {
		a, ok := c.Area(tc.code)
		if !ok {
			t.Errorf("area %s is missing", tc.code)
			continue
		}
		if basis, _, _ := a.LegalBasis.In("en"); !strings.Contains(basis, tc.legalAct) {
			t.Errorf("%s: legal basis %q does not name Directive %s", tc.code, basis, tc.legalAct)
		}
		if len(a.Questions) < 12 {
			t.Errorf("%s: %d questions, want at least 12", tc.code, len(a.Questions))
		}
		if len(a.Competences) < 20 {
			t.Errorf("%s: %d competences, want at least 20", tc.code, len(a.Competences))
		}
		types := map[catalog.AnswerType]bool{}
		personal := map[bool]bool{}
		for _, q := range a.Questions {
			types[q.Type] = true
			personal[q.PersonalData] = true
		}
		for _, want := range []catalog.AnswerType{catalog.AnswerYesNo, catalog.AnswerChoice, catalog.AnswerDate, catalog.AnswerFreeText} {
			if !types[want] {
				t.Errorf("%s: no %s question", tc.code, want)
			}
		}
		if !personal[true] || !personal[false] {
			t.Errorf("%s: every question has the same personal-data flag; the flag should tell them apart", tc.code)
		}
	}
}

func TestCatalog_EveryTextExistsInTheSixRequiredLanguages(t *testing.T) {
	for _, missing := range shipped(t).MissingTranslations(required...) {
		t.Error(missing)
	}
}

// Typography a translator can slip on, checked so that a reviewer need not.
func TestCatalog_QuestionsFollowEachLanguagesTypography(t *testing.T) {
	for _, a := range shipped(t).Areas() {
		for _, q := range a.Questions {
			fr, es := q.Text["fr"], q.Text["es"]
			if strings.Contains(fr, " ?") || strings.Contains(fr, " :") {
				t.Errorf("%s/%s: French needs a no-break space (U+00A0) before ? and :, not a plain one: %q", a.Code, q.Code, fr)
			}
			if strings.HasSuffix(es, "?") && !strings.HasPrefix(es, "¿") {
				t.Errorf("%s/%s: a Spanish question opens with ¿: %q", a.Code, q.Code, es)
			}
			for _, lang := range required {
				if s := q.Text[lang]; s != strings.TrimSpace(s) || strings.Contains(s, "  ") {
					t.Errorf("%s/%s: stray spaces in %s: %q", a.Code, q.Code, lang, s)
				}
			}
		}
	}
}

func TestCatalog_DeadlineAndRetentionDefaultsFollowTheSpecification(t *testing.T) {
	want := catalog.Deadlines{
		Acceptance: catalog.AcceptanceDeadlines{ReminderDays: []int{3, 6}, EscalateDay: 7},
		Reply:      catalog.ReplyDeadlines{ReminderDaysBefore: []int{3, 0}, EscalateDaysAfter: 3, EscalateBothDaysAfter: 10},
	}
	for _, a := range shipped(t).Areas() {
		d := a.Deadlines
		if !slices.Equal(d.Acceptance.ReminderDays, want.Acceptance.ReminderDays) || d.Acceptance.EscalateDay != want.Acceptance.EscalateDay ||
			!slices.Equal(d.Reply.ReminderDaysBefore, want.Reply.ReminderDaysBefore) ||
			d.Reply.EscalateDaysAfter != want.Reply.EscalateDaysAfter || d.Reply.EscalateBothDaysAfter != want.Reply.EscalateBothDaysAfter {
			t.Errorf("%s: deadlines %+v, want %+v", a.Code, d, want)
		}
		if a.Retention != (catalog.Retention{BlockAfterMonths: 6, DeleteAfterMonths: 36}) {
			t.Errorf("%s: retention %+v, want blocked after 6 months and deleted after 36", a.Code, a.Retention)
		}
	}
}

func TestCatalog_ASearchForADoctorInAnyLanguageFindsTheMedicalCompetence(t *testing.T) {
	pq, _ := shipped(t).Area("professional-qualifications")
	for _, term := range []string{"doctor", "physician", "Arzt", "Ärztin", "arztin", "médecin", "medecin", "medico", "médico", "lekarz", "LEKARZ", "læge"} {
		found := pq.FindCompetences(term)
		if !slices.ContainsFunc(found, func(c catalog.Competence) bool { return c.Code == "doctor" }) {
			t.Errorf("a search for %q finds %v, not the doctor", term, codes(found, func(c catalog.Competence) string { return c.Code }))
		}
	}
	if found := pq.FindCompetences("physician"); len(found) != 1 {
		t.Errorf("a search for physician finds %d competences, want only the doctor", len(found))
	}
	if found := pq.FindCompetences("  "); len(found) != 0 {
		t.Errorf("a blank search finds %d competences, want none", len(found))
	}
}

func TestCompetence_SearchTermsCarryLabelsKeywordsAndTheirFoldedForms(t *testing.T) {
	c := catalog.Competence{
		Label:    catalog.Text{"en": "Doctor", "de": "Arzt/Ärztin"},
		Keywords: catalog.Keywords{"pl": {"lekarz", "Łódź"}, "de": {"Ärztin"}},
	}
	got := c.SearchTerms()
	for _, want := range []string{"Doctor", "doctor", "Arzt/Ärztin", "arzt/arztin", "Ärztin", "arztin", "lekarz", "Łódź", "lodz"} {
		if !slices.Contains(got, want) {
			t.Errorf("search terms %q lack %q", got, want)
		}
	}
	if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
		t.Errorf("search terms %q are not sorted and unique", got)
	}
}

func TestText_AMissingTranslationFallsBackToEnglishAndSaysSo(t *testing.T) {
	text := catalog.Text{"en": "Is the diploma authentic?", "de": "Ist der Ausbildungsnachweis echt?", "nl": ""}
	for _, tc := range []struct {
		lang, value, used string
		fallback          bool
	}{
		{"de", "Ist der Ausbildungsnachweis echt?", "de", false},
		{"en", "Is the diploma authentic?", "en", false},
		{"pl", "Is the diploma authentic?", "en", true},
		{"nl", "Is the diploma authentic?", "en", true}, // blank counts as missing
	} {
		value, used, fallback := text.In(tc.lang)
		if value != tc.value || used != tc.used || fallback != tc.fallback {
			t.Errorf("In(%q) = %q, %q, %v; want %q, %q, %v", tc.lang, value, used, fallback, tc.value, tc.used, tc.fallback)
		}
	}
}

func TestCatalog_DigestFollowsTheContent(t *testing.T) {
	a, b := shipped(t), shipped(t)
	if a.Digest() != b.Digest() || a.Digest() == "" {
		t.Fatalf("two loads of the same data: digests %q and %q", a.Digest(), b.Digest())
	}
	src := validSource()
	first, err := catalog.New(src)
	if err != nil {
		t.Fatal(err)
	}
	src.Areas[0].Questions[0].Text["de"] = "Eine andere Frage?"
	second, err := catalog.New(src)
	if err != nil {
		t.Fatal(err)
	}
	if first.Digest() == second.Digest() {
		t.Error("a changed translation left the digest unchanged")
	}
}

func TestCatalog_ListsAreSortedAndLookupsFindByCode(t *testing.T) {
	c := shipped(t)
	if !slices.IsSorted(codes(c.Areas(), func(a catalog.Area) string { return a.Code })) {
		t.Error("areas are not sorted by code")
	}
	if _, ok := c.Area("no-such-area"); ok {
		t.Error("an unknown area was found")
	}
	pq, _ := c.Area("professional-qualifications")
	if q, ok := pq.Question("diploma-authentic"); !ok || q.Type != catalog.AnswerYesNo || !q.PersonalData {
		t.Errorf("diploma-authentic = %+v, %v; want a yes/no question holding personal data", q, ok)
	}
	// The lists are copies: reordering one does not reorder the catalog.
	areas := c.Areas()
	slices.Reverse(areas)
	if c.Areas()[0].Code != "professional-qualifications" {
		t.Error("reordering a returned list changed the catalog")
	}
}
