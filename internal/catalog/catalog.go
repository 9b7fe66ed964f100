package catalog

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"golang.org/x/text/language"
)

// English is the language every text must exist in and the one a missing
// translation falls back to.
const English = "en"

// Text is one string in several languages, keyed by ISO 639-1 code.
type Text map[string]string

// In returns the text in lang, or in English when lang is missing; used is
// the language of value and fallback says whether it is not the one asked
// for, so that a caller can flag the string for its reader.
func (t Text) In(lang string) (value, used string, fallback bool) {
	if v, ok := t[lang]; ok && v != "" {
		return v, lang, false
	}
	return t[English], English, lang != English
}

// Keywords are search terms per language: the words an official might type
// when looking for a competence ("Ärztin", "médecin", "lekarz").
type Keywords map[string][]string

// Language is one of the languages OpenIMI is offered in.
type Language struct {
	// Code is the ISO 639-1 code, e.g. "de".
	Code string `yaml:"code" json:"code"`
	// Name is the language's English name, for logs and operators.
	Name string `yaml:"name" json:"name"`
	// Autonym is the language's name in itself, as a language picker shows it.
	Autonym string `yaml:"autonym" json:"autonym"`
	// Regional marks a language official in a country or a region but not
	// one OpenIMI is offered in: authorities may name themselves in it
	// (Catalan, Basque, ...), nobody reads OpenIMI in it.
	Regional bool `yaml:"regional,omitempty" json:"regional,omitempty"`
}

// Country is a participating country.
type Country struct {
	// Code is the ISO 3166-1 alpha-2 code (so Greece is "GR", not the EU's "EL").
	Code string `yaml:"code" json:"code"`
	// Languages are the country's official languages among the supported
	// ones, the most widely used first.
	Languages []string `yaml:"languages" json:"languages"`
	Name      Text     `yaml:"name" json:"name"`
}

// AnswerType says what kind of answer a question expects.
type AnswerType string

// The kinds of answer.
const (
	AnswerYesNo    AnswerType = "yes_no"
	AnswerChoice   AnswerType = "choice"
	AnswerDate     AnswerType = "date"
	AnswerFreeText AnswerType = "free_text"
)

// Valid reports whether t is one of the known kinds.
func (t AnswerType) Valid() bool {
	switch t {
	case AnswerYesNo, AnswerChoice, AnswerDate, AnswerFreeText:
		return true
	}
	return false
}

// Option is one coded answer to a choice question; the code is what a
// request stores, so that each side reads the answer in its own language.
type Option struct {
	Code  string `yaml:"code" json:"code"`
	Label Text   `yaml:"label" json:"label"`
}

// Question is one pre-translated question of an area's question set.
type Question struct {
	// Code is stable for ever: requests store it, and a retired question
	// keeps its code.
	Code string     `yaml:"code" json:"code"`
	Type AnswerType `yaml:"type" json:"type"`
	// PersonalData marks answers that hold personal data: they are hidden
	// until the responder accepts, and blocked and deleted on the area's
	// retention schedule.
	PersonalData bool     `yaml:"personal_data" json:"personal_data"`
	Text         Text     `yaml:"text" json:"text"`
	Options      []Option `yaml:"options,omitempty" json:"options,omitempty"`
}

// Competence is an entry of an area's competence list: a regulated
// profession, a service activity. Authorities declare which they are
// competent for, and are found by them.
type Competence struct {
	Code     string   `yaml:"code" json:"code"`
	Label    Text     `yaml:"label" json:"label"`
	Keywords Keywords `yaml:"keywords,omitempty" json:"keywords,omitempty"`
}

// AcceptanceDeadlines govern a request waiting to be accepted, counted in
// days from the day it was sent.
type AcceptanceDeadlines struct {
	// ReminderDays are the days on which the responding authority is reminded.
	ReminderDays []int `yaml:"reminder_days" json:"reminder_days"`
	// EscalateDay is the day the request goes to the responding country's coordinator.
	EscalateDay int `yaml:"escalate_day" json:"escalate_day"`
}

// ReplyDeadlines govern an accepted request, counted in days from the
// agreed reply date.
type ReplyDeadlines struct {
	// ReminderDaysBefore are the days before the agreed date on which the
	// responding authority is reminded; 0 is the agreed date itself.
	ReminderDaysBefore []int `yaml:"reminder_days_before" json:"reminder_days_before"`
	// EscalateDaysAfter is when an overdue request goes to the responding
	// country's coordinator.
	EscalateDaysAfter int `yaml:"escalate_days_after" json:"escalate_days_after"`
	// EscalateBothDaysAfter is when it goes to both countries' coordinators.
	EscalateBothDaysAfter int `yaml:"escalate_both_days_after" json:"escalate_both_days_after"`
}

// Deadlines are an area's defaults for a request's timers.
type Deadlines struct {
	Acceptance AcceptanceDeadlines `yaml:"acceptance" json:"acceptance"`
	Reply      ReplyDeadlines      `yaml:"reply" json:"reply"`
}

// Retention says how long the personal data of a closed request live.
type Retention struct {
	// BlockAfterMonths: blocked (kept, shown to no one) this long after closure.
	BlockAfterMonths int `yaml:"block_after_months" json:"block_after_months"`
	// DeleteAfterMonths: deleted this long after closure.
	DeleteAfterMonths int `yaml:"delete_after_months" json:"delete_after_months"`
}

// Area is a legislative area: the act under which authorities cooperate,
// with its question set, competence list, deadlines and retention.
type Area struct {
	Code        string       `yaml:"code" json:"code"`
	Name        Text         `yaml:"name" json:"name"`
	LegalBasis  Text         `yaml:"legal_basis" json:"legal_basis"`
	Deadlines   Deadlines    `yaml:"deadlines" json:"deadlines"`
	Retention   Retention    `yaml:"retention" json:"retention"`
	Questions   []Question   `yaml:"questions" json:"questions"`
	Competences []Competence `yaml:"competences" json:"competences"`
}

// Question returns the area's question with that code.
func (a Area) Question(code string) (Question, bool) {
	i := slices.IndexFunc(a.Questions, func(q Question) bool { return q.Code == code })
	if i < 0 {
		return Question{}, false
	}
	return a.Questions[i], true
}

// Source is the reference data before validation: what the files say.
type Source struct {
	Languages []Language
	Countries []Country
	Areas     []Area
}

// Catalog is validated reference data with lookups. It is never modified
// after New returns, so it may be shared between goroutines. The values it
// returns share their maps and inner slices with it: read them, do not
// change them.
type Catalog struct {
	languages []Language
	// regional are the languages authorities may also name themselves in.
	regional  []Language
	countries []Country
	areas     []Area

	languageIndex map[string]int
	countryIndex  map[string]int
	areaIndex     map[string]int

	// supported are the language codes the negotiator matches against,
	// English first so that it is what an unmatched preference gets; the
	// matcher holds their tags at the same index.
	supported []string
	matcher   language.Matcher
	digest    string
}

// New validates src and builds a catalog from it. Every problem found is
// reported, not just the first, so that a translator fixes a file in one go.
func New(src Source) (*Catalog, error) {
	if err := validate(src); err != nil {
		return nil, err
	}
	var offered, regional []Language
	for _, l := range src.Languages {
		if l.Regional {
			regional = append(regional, l)
		} else {
			offered = append(offered, l)
		}
	}
	c := &Catalog{
		languages:     sortedByCode(offered, func(l Language) string { return l.Code }),
		regional:      sortedByCode(regional, func(l Language) string { return l.Code }),
		countries:     sortedByCode(src.Countries, func(c Country) string { return c.Code }),
		areas:         sortedByCode(src.Areas, func(a Area) string { return a.Code }),
		languageIndex: map[string]int{},
		countryIndex:  map[string]int{},
		areaIndex:     map[string]int{},
	}
	for i, l := range c.languages {
		c.languageIndex[l.Code] = i
	}
	for i, co := range c.countries {
		c.countryIndex[co.Code] = i
	}
	for i, a := range c.areas {
		c.areaIndex[a.Code] = i
	}
	c.supported = []string{English}
	for _, l := range c.languages {
		if l.Code != English {
			c.supported = append(c.supported, l.Code)
		}
	}
	tags := make([]language.Tag, len(c.supported))
	for i, code := range c.supported {
		tags[i] = matcherTag(code)
	}
	c.matcher = language.NewMatcher(tags)

	// encoding/json sorts map keys, so equal content gives an equal digest.
	b, err := json.Marshal(struct {
		L []Language
		R []Language `json:",omitempty"`
		C []Country
		A []Area
	}{c.languages, c.regional, c.countries, c.areas})
	if err != nil {
		return nil, fmt.Errorf("digest reference data: %w", err)
	}
	sum := sha256.Sum256(b)
	c.digest = hex.EncodeToString(sum[:])[:16]
	return c, nil
}

// matcherTag is the tag the negotiator matches a supported language by.
// Norwegian is "no" in our data, as in ISO 639-1, but the matcher knows
// Norwegian by its written standard: as "no" it would hand a browser set to
// "nb" (Bokmål) Danish, a close neighbour, instead of Norwegian.
func matcherTag(code string) language.Tag {
	if code == "no" {
		return language.MustParse("nb")
	}
	// validate has parsed every code already.
	return language.MustParse(code)
}

func sortedByCode[T any](items []T, code func(T) string) []T {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b T) int { return cmp.Compare(code(a), code(b)) })
	return out
}

// Languages returns the supported languages, sorted by code.
func (c *Catalog) Languages() []Language { return slices.Clone(c.languages) }

// Countries returns the participating countries, sorted by code.
func (c *Catalog) Countries() []Country { return slices.Clone(c.countries) }

// Areas returns the legislative areas, sorted by code.
func (c *Catalog) Areas() []Area { return slices.Clone(c.areas) }

// Language returns the supported language with that ISO 639-1 code.
func (c *Catalog) Language(code string) (Language, bool) {
	i, ok := c.languageIndex[code]
	if !ok {
		return Language{}, false
	}
	return c.languages[i], true
}

// NameLanguage returns the language with that code when an authority may
// name itself in it: a supported language or a regional one.
func (c *Catalog) NameLanguage(code string) (Language, bool) {
	if l, ok := c.Language(code); ok {
		return l, true
	}
	i, ok := slices.BinarySearchFunc(c.regional, code, func(l Language, code string) int { return cmp.Compare(l.Code, code) })
	if !ok {
		return Language{}, false
	}
	return c.regional[i], true
}

// Country returns the country with that ISO 3166-1 alpha-2 code.
func (c *Catalog) Country(code string) (Country, bool) {
	i, ok := c.countryIndex[code]
	if !ok {
		return Country{}, false
	}
	return c.countries[i], true
}

// Area returns the legislative area with that code.
func (c *Catalog) Area(code string) (Area, bool) {
	i, ok := c.areaIndex[code]
	if !ok {
		return Area{}, false
	}
	return c.areas[i], true
}

// Digest identifies the catalog's content: equal content, equal digest. It
// makes a cheap HTTP entity tag.
func (c *Catalog) Digest() string { return c.digest }
