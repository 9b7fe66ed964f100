package demo

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/openimi/openimi/models"
)

// fakeCompetences knows one competence per term, with a few translations,
// so that tests can tell the resolver's text in the search text.
type fakeCompetences struct{}

func (fakeCompetences) Match(area, term string) []string {
	if term == "doctor" && area == ProfessionalQualifications {
		return []string{"doctor"}
	}
	return []string{strings.ReplaceAll(term, " ", "-")}
}

func generate(t *testing.T, n int) Directory {
	t.Helper()
	dir, err := Generate(n, fakeCompetences{})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestDemo_GenerationIsDeterministicByteForByte(t *testing.T) {
	first, err := json.Marshal(generate(t, DefaultAuthorities))
	if err != nil {
		t.Fatal(err)
	}
	second, err := json.Marshal(generate(t, DefaultAuthorities))
	if err != nil {
		t.Fatal(err)
	}
	if string(first) != string(second) {
		t.Fatal("two runs with the same n differ")
	}
}

func TestDemo_AFewAuthoritiesAreTheFirstOfMany(t *testing.T) {
	few, many := generate(t, 300), generate(t, 2000)
	for i := range few.Authorities {
		a, b := few.Authorities[i], many.Authorities[i]
		if a.ID != b.ID || a.OfficialName != b.OfficialName || a.FunctionalMailbox != b.FunctionalMailbox || a.SearchText != b.SearchText {
			t.Fatalf("authority %d differs between n=300 and n=2000: %q vs %q", i, a.OfficialName, b.OfficialName)
		}
	}
}

func TestDemo_The5000thAuthorityIsLloretDeVistalegre(t *testing.T) {
	for _, n := range []int{DefaultAuthorities, 7000} {
		dir := generate(t, n)
		a := dir.Authorities[4999]
		if a.OfficialName != "Ajuntament de Lloret de Vistalegre" || a.OfficialNameLang != "ca" || a.CountryCode != "ES" ||
			a.Level != models.Local || a.Region != "Illes Balears" || a.City != "Lloret de Vistalegre" {
			t.Errorf("n=%d: 5,000th = %q (%s) in %s/%s, level %s", n, a.OfficialName, a.OfficialNameLang, a.CountryCode, a.Region, a.Level)
		}
		if a.Designation["en"] != "Municipality of Lloret de Vistalegre" || a.Designation["es"] != "Ayuntamiento de Lloret de Vistalegre" {
			t.Errorf("n=%d: designations %v", n, a.Designation)
		}
		if len(a.Areas) != 1 || a.Areas[0].AreaCode != Services {
			t.Errorf("n=%d: areas %v, want services only", n, a.Areas)
		}
		if a.Status != models.AuthorityActive || a.Kind != models.CompetentAuthority {
			t.Errorf("n=%d: status %s kind %s", n, a.Status, a.Kind)
		}
	}
}

func TestDemo_MakesNAuthoritiesInEveryCountry(t *testing.T) {
	dir := generate(t, DefaultAuthorities)
	if len(dir.Authorities) != DefaultAuthorities {
		t.Fatalf("%d authorities, want %d", len(dir.Authorities), DefaultAuthorities)
	}
	perCountry := map[string]int{}
	for _, a := range dir.Authorities {
		perCountry[a.CountryCode]++
	}
	for _, c := range countries() {
		if perCountry[c.code] == 0 {
			t.Errorf("no authority in %s", c.code)
		}
	}
	if len(perCountry) != 30 || len(dir.Coordinators) != 30 {
		t.Errorf("%d countries with authorities, %d coordinators; want 30 and 30", len(perCountry), len(dir.Coordinators))
	}
	// The first 30 are one per country, so that any n >= 30 covers them all.
	small := generate(t, 30)
	seen := map[string]bool{}
	for _, a := range small.Authorities {
		seen[a.CountryCode] = true
	}
	if len(seen) != 30 {
		t.Errorf("n=30 covers %d countries, want 30", len(seen))
	}
}

func TestDemo_NamesAreWrittenInTheCountrysLanguages(t *testing.T) {
	dir := generate(t, DefaultAuthorities)
	langs := map[string][]string{}
	for _, c := range countries() {
		langs[c.code] = c.langs
	}
	for _, a := range append(dir.Authorities, dir.Coordinators...) {
		if strings.TrimSpace(a.OfficialName) == "" || strings.ContainsAny(a.OfficialName, "{}") {
			t.Errorf("bad name %q", a.OfficialName)
		}
		if !slices.Contains(langs[a.CountryCode], a.OfficialNameLang) {
			t.Errorf("%q is in %q, not a language of %s", a.OfficialName, a.OfficialNameLang, a.CountryCode)
		}
		if a.Designation["en"] == "" || a.Description["en"] == "" {
			t.Errorf("%q has no English designation or description", a.OfficialName)
		}
		if len(a.Areas) == 0 && a.Kind == models.CompetentAuthority {
			t.Errorf("%q works in no area", a.OfficialName)
		}
	}
}

func TestDemo_OfficialNamesAreUniqueInEachCountry(t *testing.T) {
	dir := generate(t, 20000)
	seen := map[string]bool{}
	for _, a := range dir.Authorities {
		key := a.CountryCode + "|" + a.OfficialName
		if seen[key] {
			t.Errorf("%s twice", key)
		}
		seen[key] = true
	}
}

var mailboxPattern = regexp.MustCompile(`^[a-z.]+@[a-z0-9]+(-[a-z0-9]+)*\.[a-z]{2}\.example$`)

func TestDemo_MailboxesAreUniqueAndUnderExample(t *testing.T) {
	dir := generate(t, 20000)
	seen := map[string]bool{}
	for _, a := range append(dir.Authorities, dir.Coordinators...) {
		m := a.FunctionalMailbox
		if !mailboxPattern.MatchString(m) {
			t.Errorf("mailbox %q of %q", m, a.OfficialName)
		}
		if label := strings.Split(strings.SplitN(m, "@", 2)[1], ".")[0]; len(label) > 63 {
			t.Errorf("domain label of %q is too long for DNS", m)
		}
		if seen[m] {
			t.Errorf("mailbox %q twice", m)
		}
		seen[m] = true
	}
}

func TestDemo_EveryCityHasItsMunicipalityAndEveryLetterASpelling(t *testing.T) {
	langs := languages()
	var names []string
	for _, c := range countries() {
		for _, p := range append(c.cities, lloret()) {
			lang := p.lang
			if lang == "" {
				lang = c.langs[0]
			}
			name, ok := municipalityName(&c, langs, p, lang)
			if !ok {
				t.Errorf("%s: %s has no municipality name in %s", c.code, p.name, lang)
			}
			names = append(names, name, p.name, p.region)
		}
		for _, b := range c.national {
			for _, n := range b.names {
				names = append(names, n.name)
			}
		}
	}
	for _, l := range langs {
		for _, tmpl := range l.templates {
			names = append(names, tmpl)
		}
		names = append(names, l.coordinator)
	}
	for _, name := range names {
		for _, r := range strings.ToLower(name) {
			if unicode.IsLetter(r) && r > unicode.MaxASCII && transliteration[r] == "" {
				t.Errorf("%q: no ASCII spelling for %q", name, r)
			}
		}
	}
}

func TestDemo_CompetencesComeFromTheResolverAndSearchTextFromTheNames(t *testing.T) {
	dir := generate(t, DefaultAuthorities)
	found := false
	for _, a := range dir.Authorities {
		if !strings.Contains(a.Designation["en"], "Medical Chamber") {
			continue
		}
		found = true
		if len(a.Areas) != 1 || a.Areas[0].AreaCode != ProfessionalQualifications || !slices.Equal(a.Areas[0].Competences, []string{"doctor"}) {
			t.Fatalf("%q: areas %v, want doctor in professional qualifications", a.OfficialName, a.Areas)
		}
		for _, want := range []string{a.OfficialName, a.Designation["en"]} {
			if !strings.Contains(a.SearchText, want) {
				t.Fatalf("%q: search text %q lacks %q", a.OfficialName, a.SearchText, want)
			}
		}
	}
	if !found {
		t.Fatal("no medical chamber among 5,000 authorities")
	}
}

func TestDemo_EachCountryHasACoordinatorAndThreeOfficials(t *testing.T) {
	dir := generate(t, DefaultAuthorities)
	ids := map[string]models.Authority{}
	for _, a := range append(dir.Authorities, dir.Coordinators...) {
		ids[a.ID.String()] = a
	}
	emails := map[string]Official{}
	for _, o := range dir.Officials {
		emails[o.User.Email] = o
		a, ok := ids[o.User.AuthorityID.String()]
		if !ok {
			t.Errorf("%s belongs to no generated authority", o.User.Email)
		}
		if !strings.HasSuffix(o.User.Email, "."+strings.ToLower(a.CountryCode)+"@"+LoginDomain) {
			t.Errorf("%s is an official of %s", o.User.Email, a.CountryCode)
		}
	}
	for _, c := range countries() {
		cc := strings.ToLower(c.code)
		coord := emails["coordinator."+cc+"@"+LoginDomain]
		if len(coord.Roles) != 1 || coord.Roles[0].Role != models.CoordinatorRole || ids[coord.User.AuthorityID.String()].Kind != models.NationalCoordinator {
			t.Errorf("%s: coordinator %+v", c.code, coord)
		}
		handler := emails["handler."+cc+"@"+LoginDomain]
		if len(handler.Roles) != 2 || handler.Roles[0].Role != models.RequestHandler || handler.Roles[0].AreaCode == handler.Roles[1].AreaCode {
			t.Errorf("%s: handler roles %+v, want request handler in both areas", c.code, handler.Roles)
		}
		if a := emails["allocator."+cc+"@"+LoginDomain]; len(a.Roles) != 2 || a.Roles[0].Role != models.Allocator {
			t.Errorf("%s: allocator roles %+v", c.code, a.Roles)
		}
		if a := emails["admin."+cc+"@"+LoginDomain]; len(a.Roles) != 1 || a.Roles[0].Role != models.LocalDataAdministrator {
			t.Errorf("%s: admin roles %+v", c.code, a.Roles)
		}
	}
}

func TestDemo_RefusesANegativeCount(t *testing.T) {
	if _, err := Generate(-1, fakeCompetences{}); err == nil {
		t.Fatal("Generate(-1) succeeded")
	}
}
