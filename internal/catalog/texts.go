package catalog

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// MissingTranslations lists every translated string that lacks one of
// langs: country and area names, legal bases, questions, answer options and
// competence labels. The shipped data must lack none of the languages the
// specification requires; a translator reads the list as a to-do list.
func (c *Catalog) MissingTranslations(langs ...string) []string {
	var missing []string
	check := func(where string, t Text) {
		for _, l := range langs {
			if strings.TrimSpace(t[l]) == "" {
				missing = append(missing, fmt.Sprintf("%s lacks %s", where, l))
			}
		}
	}
	for _, co := range c.countries {
		check(fmt.Sprintf("country %s name", co.Code), co.Name)
	}
	for _, a := range c.areas {
		check(fmt.Sprintf("area %s name", a.Code), a.Name)
		check(fmt.Sprintf("area %s legal basis", a.Code), a.LegalBasis)
		for _, q := range a.Questions {
			check(fmt.Sprintf("area %s question %s", a.Code, q.Code), q.Text)
			for _, o := range q.Options {
				check(fmt.Sprintf("area %s question %s option %s", a.Code, q.Code, o.Code), o.Label)
			}
		}
		for _, co := range a.Competences {
			check(fmt.Sprintf("area %s competence %s", a.Code, co.Code), co.Label)
		}
	}
	return missing
}

// SearchTerms are the words a competence is found by: its labels and
// keywords in every language, each also folded to lower case without
// accents, so that "Arztin" typed on a keyboard without umlauts finds
// "Ärztin". Sorted and without duplicates, so that equal data give equal
// terms.
func (c Competence) SearchTerms() []string {
	var terms []string
	add := func(s string) {
		s = strings.TrimSpace(s)
		if s == "" {
			return
		}
		terms = append(terms, s)
		if f := Fold(s); f != s {
			terms = append(terms, f)
		}
	}
	for _, label := range c.Label {
		add(label)
	}
	for _, words := range c.Keywords {
		for _, w := range words {
			add(w)
		}
	}
	slices.Sort(terms)
	return slices.Compact(terms)
}

// Matches reports whether a search for term finds the competence: the
// folded term occurs in one of its folded search terms.
func (c Competence) Matches(term string) bool {
	term = Fold(strings.TrimSpace(term))
	if term == "" {
		return false
	}
	for _, s := range c.SearchTerms() {
		if strings.Contains(Fold(s), term) {
			return true
		}
	}
	return false
}

// FindCompetences returns the area's competences a search for term finds,
// in the order of the competence list.
func (a Area) FindCompetences(term string) []Competence {
	var found []Competence
	for _, c := range a.Competences {
		if c.Matches(term) {
			found = append(found, c)
		}
	}
	return found
}

// Letters that carry no combining mark to strip but that people type
// without their stroke all the same.
var strokeLetters = strings.NewReplacer("ł", "l", "ß", "ss", "ø", "o", "æ", "ae", "œ", "oe", "đ", "d", "ħ", "h", "ı", "i")

// Fold lowers s and strips its accents: "Ärztin" becomes "arztin", "Łódź"
// "lodz". Greek and Cyrillic keep their letters, lowered.
func Fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	folded, _, err := transform.String(t, strings.ToLower(s))
	if err != nil {
		// The chain only drops marks; it cannot fail on valid UTF-8, and
		// invalid UTF-8 is better searched as it is than not at all.
		folded = strings.ToLower(s)
	}
	return strokeLetters.Replace(folded)
}
