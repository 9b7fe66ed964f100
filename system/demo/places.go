package demo

// place is a city or a region, with the forms its language's templates
// need. Every field but name is optional; a template that needs a form the
// place lacks (and that the language cannot derive) is not used for it.
type place struct {
	name   string // nominative, in the place's language
	lang   string // the language names are made in; "" = the country's first
	region string // for a city, the region it lies in
	latin  string // the name in Latin script (or English) when name is not
	of     string // genitive, or the "of" phrase ("de Lyon", "Krakowa")
	at     string // locative phrase ("w Krakowie")
	attr   string // attributive form ("Debreceni")
	mun    string // the municipality's official name, when not the template's
	seat   string // for a region, the name of its seat
}

func city(name, region string) place { return place{name: name, region: region} }
func region(name string) place       { return place{name: name} }

// The setters return a changed copy, so that the tables read as one
// expression per place.
func (p place) Lang(s string) place  { p.lang = s; return p }
func (p place) Latin(s string) place { p.latin = s; return p }
func (p place) Of(s string) place    { p.of = s; return p }
func (p place) At(s string) place    { p.at = s; return p }
func (p place) Attr(s string) place  { p.attr = s; return p }
func (p place) Mun(s string) place   { p.mun = s; return p }
func (p place) Seat(s string) place  { p.seat = s; return p }

// nameIn is the place's name for a designation in another language: the
// Latin-script name when the place has one, else its own.
func (p place) nameIn() string {
	if p.latin != "" {
		return p.latin
	}
	return p.name
}

// langName is a body's name in one language.
type langName struct{ lang, name string }

// body is a national body of one country: its kind and its official name,
// then the same name in the country's other official languages.
type body struct {
	kind  kindKey
	names []langName
}

// nat builds a body from language/name pairs, the official one first.
func nat(k kindKey, pairs ...string) body {
	b := body{kind: k}
	for i := 0; i+1 < len(pairs); i += 2 {
		b.names = append(b.names, langName{pairs[i], pairs[i+1]})
	}
	return b
}

// country is one of the 30 countries of the network, as the demo knows it.
type country struct {
	code string
	en   string // the English name
	tld  string
	// weight is the country's share of the authorities, relative to the
	// others: larger and more federal countries have more.
	weight int
	// langs are the official languages, the main one first.
	langs     []string
	cities    []place
	regions   []place
	national  []body
	overrides map[string]map[kindKey]string // language → kind → template; "" removes the kind
	// coLang, when set, adds a designation in that language to bodies named
	// in another official language (in Spain: Spanish beside Catalan).
	coLang string
}
