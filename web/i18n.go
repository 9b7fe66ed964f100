package web

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/openimi/openimi/internal/catalog"
)

//go:embed locales/*.yaml
var localeFiles embed.FS

// uiLanguages are the languages the pages are written in, in the order the
// switcher shows them; English is the reference every other file must match.
var uiLanguages = []string{"en", "de", "fr", "es", "it", "pl"}

// locales holds the pages' texts, one flat map of key → text per language.
type locales struct {
	texts map[string]map[string]string
	// names are each language's name in itself, for the switcher.
	names map[string]string
}

// loadLocales reads the translation files and refuses a set in which a
// language lacks a key English has, or has one English lacks: a page would
// otherwise show a key instead of a word.
func loadLocales() (*locales, error) {
	l := &locales{texts: map[string]map[string]string{}, names: map[string]string{}}
	for _, lang := range uiLanguages {
		data, err := fs.ReadFile(localeFiles, "locales/"+lang+".yaml")
		if err != nil {
			return nil, fmt.Errorf("pages: translations %s: %w", lang, err)
		}
		var texts map[string]string
		if err := yaml.Unmarshal(data, &texts); err != nil {
			return nil, fmt.Errorf("pages: translations %s: %w", lang, err)
		}
		l.texts[lang] = texts
		l.names[lang] = texts["language.name"]
	}
	var problems []string
	for _, lang := range uiLanguages[1:] {
		for key := range l.texts["en"] {
			if _, ok := l.texts[lang][key]; !ok {
				problems = append(problems, lang+" lacks "+key)
			}
		}
		for key := range l.texts[lang] {
			if _, ok := l.texts["en"][key]; !ok {
				problems = append(problems, lang+" has "+key+", unknown in en")
			}
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return nil, fmt.Errorf("pages: translations disagree: %s", strings.Join(problems, "; "))
	}
	return l, nil
}

// text returns the text of key in lang, formatted with args (fmt verbs, so
// that a translation may reorder them with %[2]s). A key missing everywhere
// shows as itself, which the tests catch.
func (l *locales) text(lang, key string, args ...any) string {
	s, ok := l.texts[lang][key]
	if !ok {
		if s, ok = l.texts["en"][key]; !ok {
			return key
		}
	}
	if len(args) == 0 || !strings.Contains(s, "%") {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// has reports whether key is translated (it is in English).
func (l *locales) has(key string) bool {
	_, ok := l.texts["en"][key]
	return ok
}

// date formats a day the way the reader's language writes it: the pattern
// and the month names are part of each translation file.
func (l *locales) date(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	month := l.text(lang, "date.month."+strconv.Itoa(int(t.Month())))
	r := strings.NewReplacer("{day}", strconv.Itoa(t.Day()), "{month}", month, "{year}", strconv.Itoa(t.Year()))
	return r.Replace(l.text(lang, "date.pattern"))
}

// dateTime is date with the hour, in 24-hour time, in UTC: officials of 30
// countries read the same timeline, and UTC is said next to it.
func (l *locales) dateTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return l.date(lang, t) + " " + t.Format("15:04") + " UTC"
}

// langCookie remembers the language an official picked on the page.
const langCookie = "openimi_lang"

// language picks the pages' language: the reader's pick on the page, then
// the account's language, then Accept-Language (matched against the
// catalog's languages), then English. A language the catalog knows but the
// pages are not written in yet falls back to English.
func (l *locales) language(cat *catalog.Catalog, r *http.Request, account string) string {
	if c, err := r.Cookie(langCookie); err == nil && slices.Contains(uiLanguages, c.Value) {
		return c.Value
	}
	if slices.Contains(uiLanguages, account) {
		return account
	}
	lang, err := cat.Negotiate("", r.Header.Get("Accept-Language"))
	if err != nil || !slices.Contains(uiLanguages, lang) {
		return "en"
	}
	return lang
}
