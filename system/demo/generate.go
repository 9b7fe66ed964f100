package demo

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
)

// DefaultAuthorities is the size of the network in 2010.
const DefaultAuthorities = 5000

// LoginDomain is where the demo officials' addresses live.
const LoginDomain = "demo.openimi.eu"

// idNamespace makes the records' ids a function of their position, so that
// the same n gives the same ids.
const idNamespace = "6f0d5d6e-4c1e-4b8e-9a55-0c0de5eed010"

// Directory is what Generate makes.
type Directory struct {
	// Authorities are the n competent authorities, in order; the 5,000th is
	// the Municipality of Lloret de Vistalegre.
	Authorities []models.Authority
	// Coordinators are the national coordinator bodies, one per country,
	// in the order of the country codes.
	Coordinators []models.Authority
	// Officials are the demo logins: each country's coordinator, and a
	// local data administrator, a request handler and an allocator of the
	// country's first authority.
	Officials []Official
}

// Official is a demo login with its roles. The user has no password hash:
// the seed sets the demo password.
type Official struct {
	User  models.User
	Roles []models.UserRole
	// Function is what the login is for, in English, for the listing.
	Function string
	// Authority is the official name of the official's authority.
	Authority string
}

// Generate makes n competent authorities spread over the 30 countries, the
// national coordinator of each country and the demo officials.
func Generate(n int, comps Competences) (Directory, error) {
	if n < 0 {
		return Directory{}, fmt.Errorf("demo: cannot generate %d authorities", n)
	}
	g, err := newGenerator(comps)
	if err != nil {
		return Directory{}, err
	}
	dir := Directory{Authorities: make([]models.Authority, 0, n)}
	for i := range n {
		dir.Authorities = append(dir.Authorities, g.authority(i))
	}
	for ci := range g.countries {
		dir.Coordinators = append(dir.Coordinators, g.coordinator(ci))
	}
	dir.Officials = g.officials(dir)
	return dir, nil
}

// generator holds the tables and what has been made so far: the names and
// mailboxes taken, so that each is unique.
type generator struct {
	comps     Competences
	ns        uuid.UUID
	langs     map[string]language
	kinds     map[kindKey]*kind
	countries []country
	slots     [][]slot // per country
	// totalWeight of the countries, for drawing one.
	totalWeight int
	names       map[string]bool // country + name
	mailboxes   map[string]bool
	matches     map[string][]string
}

// slot is one authority that can be made: a kind, in a country, named
// after a place (or nothing for a national body), in one language.
type slot struct {
	kind    *kind
	country int
	place   place
	hasArea bool // local and regional kinds: the place is set
	lang    string
	name    string
	// others are the body's names in the country's other languages.
	others []langName
	// kindWords are the words the name has besides the place's.
	kindWords string
}

func newGenerator(comps Competences) (*generator, error) {
	ns, err := uuid.Parse(idNamespace)
	if err != nil {
		return nil, fmt.Errorf("demo: id namespace: %w", err)
	}
	g := &generator{
		comps: comps, ns: ns, langs: languages(), kinds: map[kindKey]*kind{}, countries: countries(),
		names: map[string]bool{}, mailboxes: map[string]bool{},
		matches: map[string][]string{},
	}
	for _, k := range kinds() {
		g.kinds[k.key] = &k
	}
	for ci := range g.countries {
		g.slots = append(g.slots, g.countrySlots(ci))
		g.totalWeight += g.countries[ci].weight
	}
	return g, nil
}

// countrySlots lists every authority a country can have, in a fixed order.
func (g *generator) countrySlots(ci int) []slot {
	c := &g.countries[ci]
	var out []slot
	for _, k := range kinds() {
		k := g.kinds[k.key]
		var places []place
		switch k.scope {
		case cityScope:
			places = c.cities
		case regionScope:
			places = c.regions
		default:
			continue
		}
		for _, p := range places {
			lang := p.lang
			if lang == "" {
				lang = c.langs[0]
			}
			tmpl := templateFor(c, g.langs, lang, k.key)
			mun := ""
			if k.scope == cityScope {
				var ok bool
				if mun, ok = municipalityName(c, g.langs, p, lang); !ok {
					continue
				}
			}
			name, ok := render(tmpl, p, lang, mun)
			if k.key == kMunicipality {
				name, ok = mun, mun != ""
			}
			if !ok {
				continue
			}
			out = append(out, slot{kind: k, country: ci, place: p, hasArea: true, lang: lang, name: name,
				kindWords: stripPlaceholders(tmpl)})
		}
	}
	for _, b := range c.national {
		out = append(out, slot{kind: g.kinds[b.kind], country: ci, lang: b.names[0].lang, name: b.names[0].name,
			others: b.names[1:], kindWords: b.names[0].name})
	}
	return out
}

// mix is SplitMix64's finaliser: a fixed, well-spread hash, so that draws
// are arithmetic on the position and nothing else.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// draw is the hash of a position and a purpose.
func draw(i int, purpose uint64) uint64 { return mix(mix(uint64(i)) ^ purpose) }

// The purposes of draws; distinct so that choices are independent.
const (
	drawCountry uint64 = iota + 1
	drawSlot
	drawVariety = 100
)

// pickCountry draws a country by weight; the first 30 positions take each
// country once, so that every country is there from n = 30.
func (g *generator) pickCountry(i int) int {
	if i < len(g.countries) {
		return i
	}
	r := int(draw(i, drawCountry) % uint64(g.totalWeight))
	for ci, c := range g.countries {
		if r < c.weight {
			return ci
		}
		r -= c.weight
	}
	return len(g.countries) - 1
}

// pickSlot draws a slot by weight among those that qualify.
func pickSlot(slots []slot, h uint64, qualifies func(*slot) bool) (slot, bool) {
	total := 0
	for i := range slots {
		if qualifies(&slots[i]) {
			total += slots[i].kind.weight
		}
	}
	if total == 0 {
		return slot{}, false
	}
	r := int(h % uint64(total))
	for i := range slots {
		if !qualifies(&slots[i]) {
			continue
		}
		if r < slots[i].kind.weight {
			return slots[i], true
		}
		r -= slots[i].kind.weight
	}
	return slot{}, false
}

// twoAreas: a body working in both areas, so that each country's demo
// officials have per-area roles in both.
func twoAreas(s *slot) bool { return len(s.kind.areas) == 2 }

func anySlot(*slot) bool { return true }

// authority makes the authority at position i.
func (g *generator) authority(i int) models.Authority {
	if i == lloretPosition {
		return g.lloret(i)
	}
	ci := g.pickCountry(i)
	qualifies := anySlot
	if i < len(g.countries) && slices.ContainsFunc(g.slots[ci], func(s slot) bool { return twoAreas(&s) }) {
		qualifies = twoAreas
	}
	// A body not yet in the directory is preferred; once a country has all
	// of its bodies, further draws open more offices of them.
	code := g.countries[ci].code
	unused := func(s *slot) bool { return qualifies(s) && !g.names[code+"|"+s.name] }
	chosen, ok := pickSlot(g.slots[ci], draw(i, drawSlot), unused)
	if !ok {
		chosen, _ = pickSlot(g.slots[ci], draw(i, drawSlot), qualifies)
	}
	return g.build(i, chosen, models.CompetentAuthority)
}

// lloret is the 5,000th authority, the same whatever n.
func (g *generator) lloret(i int) models.Authority {
	ci := slices.IndexFunc(g.countries, func(c country) bool { return c.code == "ES" })
	p := lloret()
	name, _ := municipalityName(&g.countries[ci], g.langs, p, p.lang)
	s := slot{kind: g.kinds[kMunicipality], country: ci, place: p, hasArea: true, lang: p.lang, name: name,
		kindWords: stripPlaceholders(g.langs[p.lang].templates[kMunicipality])}
	return g.build(i, s, models.CompetentAuthority)
}

// build turns a slot into an authority, as another office of the body when
// its name is taken already.
func (g *generator) build(i int, s slot, kind models.AuthorityKind) models.Authority {
	c := &g.countries[s.country]
	name, office := g.uniqueName(c, s)
	a := models.Authority{
		ID:               uuid.NewSHA1(g.ns, []byte("authority/"+strconv.Itoa(i))),
		Kind:             kind,
		CountryCode:      c.code,
		Level:            s.kind.level,
		OfficialName:     name,
		OfficialNameLang: s.lang,
		Status:           models.AuthorityActive,
	}
	if s.hasArea {
		switch s.kind.scope {
		case cityScope:
			a.Region, a.City = s.place.region, s.place.name
		case regionScope:
			a.Region, a.City = s.place.name, s.place.seat
		}
	}
	a.Designation = g.designations(i, c, s, office)
	a.Description = models.Translations{"en": strings.ReplaceAll(s.kind.description, "{place}", g.placeInEnglish(c, s))}
	a.FunctionalMailbox = g.mailbox(c, s, office)
	a.Areas = g.areas(s.kind)
	a.SearchText = g.searchText(a)
	return a
}

// uniqueName is the slot's name, or the name of its next office when the
// body exists already; office is 1 for the body itself.
func (g *generator) uniqueName(c *country, s slot) (string, int) {
	for office := 1; ; office++ {
		name := s.name
		if office > 1 {
			name += ", " + strings.ReplaceAll(g.langs[s.lang].branch, "{k}", strconv.Itoa(office))
		}
		if key := c.code + "|" + name; !g.names[key] {
			g.names[key] = true
			return name, office
		}
	}
}

func (g *generator) placeInEnglish(c *country, s slot) string {
	if !s.hasArea {
		return c.en
	}
	return s.place.nameIn()
}

// varietyLanguages are the languages a few designations are drawn from, so
// that searches in them find bodies of every country.
var varietyLanguages = [...]string{"de", "fr", "es", "it", "pl"}

// designations are the body's designation in English, in the country's other
// official languages, and in two more languages drawn for variety.
func (g *generator) designations(i int, c *country, s slot, office int) models.Translations {
	d := models.Translations{}
	en := strings.ReplaceAll(s.kind.en, "{place}", g.placeInEnglish(c, s))
	if office > 1 {
		en += ", office " + strconv.Itoa(office)
	}
	if s.lang == "en" {
		en = s.name
	}
	d["en"] = en
	generic := func(lang string) (string, bool) {
		text, ok := s.kind.designations[lang]
		if !ok {
			return "", false
		}
		if s.hasArea {
			text += " (" + s.place.nameIn() + ")"
		}
		return text, true
	}
	for _, other := range s.others {
		d[other.lang] = other.name
	}
	for _, lang := range c.langs[1:] {
		if _, done := d[lang]; done || lang == s.lang {
			continue
		}
		if text, ok := generic(lang); ok {
			d[lang] = text
		}
	}
	if c.coLang != "" && s.lang != c.coLang && s.hasArea {
		// The place's inflected forms are its own language's; only its name
		// carries over.
		bare := place{name: s.place.name, region: s.place.region}
		mun, _ := municipalityName(c, g.langs, bare, c.coLang)
		if text, ok := render(templateFor(c, g.langs, c.coLang, s.kind.key), bare, c.coLang, mun); ok {
			d[c.coLang] = text
		}
	}
	start := int(draw(i, drawVariety) % uint64(len(varietyLanguages)))
	added := 0
	for k := 0; k < len(varietyLanguages) && added < 2; k++ {
		lang := varietyLanguages[(start+k)%len(varietyLanguages)]
		if _, done := d[lang]; done || lang == s.lang {
			continue
		}
		if text, ok := generic(lang); ok {
			d[lang] = text
			added++
		}
	}
	return d
}

// mailbox is a functional mailbox at a made-up domain under .example,
// unique across the directory.
func (g *generator) mailbox(c *country, s slot, office int) string {
	placeName := ""
	if s.hasArea {
		// The local name, transliterated: domains are the country's own.
		placeName = s.place.name
	}
	label := domainSlug(s.name, s.kindWords, placeName, s.lang)
	if office > 1 {
		label += "-" + strconv.Itoa(office)
	}
	local := g.langs[s.lang].mailbox
	if s.kind.key == kCoordinator {
		local = "imi"
	}
	for n := 1; ; n++ {
		domain := label
		if n > 1 {
			domain += "-" + strconv.Itoa(n)
		}
		address := local + "@" + domain + "." + c.tld + ".example"
		if !g.mailboxes[address] {
			g.mailboxes[address] = true
			return address
		}
	}
}

// areas resolves the kind's terms to competence codes, per area.
func (g *generator) areas(k *kind) []models.AuthorityArea {
	var out []models.AuthorityArea
	for _, at := range k.areas {
		var codes []string
		for _, term := range at.terms {
			key := at.area + "\x00" + term
			matched, ok := g.matches[key]
			if !ok {
				matched = g.comps.Match(at.area, term)
				g.matches[key] = matched
			}
			codes = append(codes, matched...)
		}
		slices.Sort(codes)
		out = append(out, models.AuthorityArea{AreaCode: at.area, Competences: slices.Compact(codes)})
	}
	return out
}

// searchText is what search matches in the authority's own words: its
// names, places, designations and descriptions as written, as the API
// writes it for authorities that register. Its competences are found
// through the reference data's own index of their labels and keywords.
func (g *generator) searchText(a models.Authority) string {
	words := []string{a.OfficialName, a.City, a.Region}
	for _, lang := range sortedKeys(a.Designation) {
		words = append(words, a.Designation[lang])
	}
	for _, lang := range sortedKeys(a.Description) {
		words = append(words, a.Description[lang])
	}
	return strings.Join(slices.DeleteFunc(words, func(w string) bool { return w == "" }), " ")
}

func sortedKeys(m models.Translations) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// coordinator makes the national coordinator body of a country.
func (g *generator) coordinator(ci int) models.Authority {
	c := &g.countries[ci]
	lang := c.langs[0]
	s := slot{kind: g.kinds[kCoordinator], country: ci, lang: lang, name: g.langs[lang].coordinator}
	for _, other := range c.langs[1:] {
		if name := g.langs[other].coordinator; name != "" {
			s.others = append(s.others, langName{other, name})
		}
	}
	s.kindWords = s.name
	a := g.build(-1-ci, s, models.NationalCoordinator)
	a.ID = uuid.NewSHA1(g.ns, []byte("coordinator/"+c.code))
	return a
}

// officials makes each country's demo logins: its coordinator, and three
// officials of the country's first authority.
func (g *generator) officials(dir Directory) []Official {
	var out []Official
	for ci, c := range g.countries {
		cc := strings.ToLower(c.code)
		coord := dir.Coordinators[ci]
		out = append(out, g.official("coordinator", cc, "national coordinator", coord, []models.UserRole{{Role: models.CoordinatorRole}}))
		idx := slices.IndexFunc(dir.Authorities, func(a models.Authority) bool { return a.CountryCode == c.code })
		if idx < 0 {
			continue
		}
		a := dir.Authorities[idx]
		var handler, allocator []models.UserRole
		for _, area := range a.Areas {
			handler = append(handler, models.UserRole{Role: models.RequestHandler, AreaCode: area.AreaCode})
			allocator = append(allocator, models.UserRole{Role: models.Allocator, AreaCode: area.AreaCode})
		}
		out = append(out,
			g.official("admin", cc, "local data administrator", a, []models.UserRole{{Role: models.LocalDataAdministrator}}),
			g.official("handler", cc, "request handler", a, handler),
			g.official("allocator", cc, "allocator", a, allocator),
		)
	}
	return out
}

func (g *generator) official(login, cc, function string, a models.Authority, roles []models.UserRole) Official {
	email := login + "." + cc + "@" + LoginDomain
	u := models.User{
		ID:                uuid.NewSHA1(g.ns, []byte("user/"+email)),
		Email:             email,
		DisplayName:       "Demo " + function + " (" + strings.ToUpper(cc) + ")",
		PreferredLanguage: a.OfficialNameLang,
		AuthorityID:       &a.ID,
		Status:            models.UserActive,
	}
	for i := range roles {
		roles[i].UserID = u.ID
	}
	return Official{User: u, Roles: roles, Function: function, Authority: a.OfficialName}
}
