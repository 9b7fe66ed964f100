package mail

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"slices"
	"strings"
	texttemplate "text/template"
	"time"
)

// The templates: layout.txt.tmpl and layout.html.tmpl shape every mail, and
// one file per language, named by its code, holds the words: for each kind
// a subject, a body and the label of the link, and the footer. The body is
// written once and rendered twice, by text/template for the plain-text part
// and by html/template, which escapes the data, for the HTML part, so the two
// parts can never say different things.
//
//go:embed templates/*.tmpl
var templateFiles embed.FS

// fallbackLanguage is used when a recipient's language has no templates.
const fallbackLanguage = "en"

// ErrUnknownKind is returned by Render for a kind this build has no
// template for: a newer process may have enqueued it, so it is worth
// retrying rather than failing.
var ErrUnknownKind = errors.New("no template for this kind of mail")

// Templates are the parsed mail templates of every language.
type Templates struct {
	languages  map[string]*languageSet
	textLayout *texttemplate.Template
	htmlLayout *htmltemplate.Template
}

type languageSet struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

// LoadTemplates parses the templates built into the binary.
func LoadTemplates() (*Templates, error) {
	return loadTemplates(templateFiles)
}

func loadTemplates(files fs.FS) (*Templates, error) {
	t := &Templates{languages: map[string]*languageSet{}}
	var err error
	t.textLayout, err = texttemplate.New("layout.txt.tmpl").Option("missingkey=error").ParseFS(files, "templates/layout.txt.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse mail layout: %w", err)
	}
	t.htmlLayout, err = htmltemplate.New("layout.html.tmpl").Option("missingkey=error").ParseFS(files, "templates/layout.html.tmpl")
	if err != nil {
		return nil, fmt.Errorf("parse mail layout: %w", err)
	}
	names, err := fs.Glob(files, "templates/*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("list mail templates: %w", err)
	}
	for _, name := range names {
		lang := strings.TrimSuffix(path.Base(name), ".tmpl")
		if strings.HasPrefix(lang, "layout.") {
			continue
		}
		src, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, fmt.Errorf("read mail templates %s: %w", name, err)
		}
		funcs := map[string]any{"date": func(iso string) (string, error) { return formatDate(lang, iso) }}
		text, err := texttemplate.New(lang).Option("missingkey=error").Funcs(funcs).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("parse mail templates %s: %w", name, err)
		}
		html, err := htmltemplate.New(lang).Option("missingkey=error").Funcs(funcs).Parse(string(src))
		if err != nil {
			return nil, fmt.Errorf("parse mail templates %s: %w", name, err)
		}
		t.languages[lang] = &languageSet{text: text, html: html}
	}
	if _, ok := t.languages[fallbackLanguage]; !ok {
		return nil, fmt.Errorf("mail templates: no %s.tmpl to fall back on", fallbackLanguage)
	}
	return t, nil
}

// Languages lists the languages that have templates, in order.
func (t *Templates) Languages() []string {
	langs := make([]string, 0, len(t.languages))
	for l := range t.languages {
		langs = append(langs, l)
	}
	slices.Sort(langs)
	return langs
}

// Has reports whether a language's templates hold everything a kind needs.
func (t *Templates) Has(language string, kind Kind) bool {
	set, ok := t.languages[language]
	if !ok {
		return false
	}
	for _, part := range []string{".subject", ".body", ".action"} {
		if set.text.Lookup(string(kind)+part) == nil {
			return false
		}
	}
	return set.text.Lookup("footer") != nil && set.text.Lookup("link_hint") != nil
}

// Rendered is a mail ready to send.
type Rendered struct {
	Subject string
	Text    string
	HTML    string
	// Language is the language it is written in: the recipient's, or
	// English when there were no templates for the kind in theirs.
	Language string
	// FellBack is set when Language is not the one asked for.
	FellBack bool
}

// Render writes a kind of mail in a language from the data stored in the
// outbox; link is the absolute URL the mail points to.
func (t *Templates) Render(kind Kind, language string, data map[string]string, link string) (Rendered, error) {
	if !kind.Known() {
		return Rendered{}, fmt.Errorf("render %q: %w", kind, ErrUnknownKind)
	}
	asked := normalizeLanguage(language)
	lang := asked
	if !t.Has(lang, kind) {
		lang = fallbackLanguage
		if !t.Has(lang, kind) {
			return Rendered{}, fmt.Errorf("render %s: %w", kind, ErrUnknownKind)
		}
	}
	set := t.languages[lang]
	// The templates see only strings: what the outbox stores.
	view := make(map[string]any, len(data)+1)
	for k, v := range data {
		view[k] = v
	}
	view["Link"] = link

	subject, err := execText(set.text, string(kind)+".subject", view)
	if err != nil {
		return Rendered{}, err
	}
	textBody, err := execText(set.text, string(kind)+".body", view)
	if err != nil {
		return Rendered{}, err
	}
	textAction, err := execText(set.text, string(kind)+".action", view)
	if err != nil {
		return Rendered{}, err
	}
	htmlBody, err := execHTML(set.html, string(kind)+".body", view)
	if err != nil {
		return Rendered{}, err
	}
	htmlAction, err := execHTML(set.html, string(kind)+".action", view)
	if err != nil {
		return Rendered{}, err
	}
	footer, err := execText(set.text, "footer", view)
	if err != nil {
		return Rendered{}, err
	}
	linkHint, err := execText(set.text, "link_hint", view)
	if err != nil {
		return Rendered{}, err
	}
	// A subject is one line, whatever the data held.
	subject = strings.Join(strings.Fields(subject), " ")

	var text bytes.Buffer
	err = t.textLayout.Execute(&text, map[string]any{
		"Paragraphs": paragraphs(textBody),
		"Action":     textAction,
		"Link":       link,
		"Footer":     footer,
	})
	if err != nil {
		return Rendered{}, fmt.Errorf("render %s in %s: %w", kind, lang, err)
	}
	htmlParagraphs := make([]htmltemplate.HTML, 0, 4)
	for _, p := range paragraphs(htmlBody) {
		// Produced by html/template, which escaped the data in it.
		htmlParagraphs = append(htmlParagraphs, htmltemplate.HTML(p))
	}
	var html bytes.Buffer
	err = t.htmlLayout.Execute(&html, map[string]any{
		"Language":   lang,
		"Subject":    subject,
		"Paragraphs": htmlParagraphs,
		"Action":     htmltemplate.HTML(htmlAction),
		"Link":       link,
		"LinkHint":   linkHint,
		"Footer":     footer,
	})
	if err != nil {
		return Rendered{}, fmt.Errorf("render %s in %s: %w", kind, lang, err)
	}
	return Rendered{
		Subject:  subject,
		Text:     text.String(),
		HTML:     html.String(),
		Language: lang,
		FellBack: lang != asked,
	}, nil
}

func execText(t *texttemplate.Template, name string, data any) (string, error) {
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s in %s: %w", name, t.Name(), err)
	}
	return strings.TrimSpace(b.String()), nil
}

func execHTML(t *htmltemplate.Template, name string, data any) (string, error) {
	var b strings.Builder
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return "", fmt.Errorf("render %s in %s: %w", name, t.Name(), err)
	}
	return strings.TrimSpace(b.String()), nil
}

// paragraphs splits a body at its blank lines and joins the lines of each
// paragraph, so that translators may wrap their lines as they like.
func paragraphs(body string) []string {
	var out []string
	for _, p := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// decodeData reads the template data stored in the outbox.
func decodeData(raw []byte) (map[string]string, error) {
	data := map[string]string{}
	if len(raw) == 0 {
		return data, nil
	}
	if err := json.Unmarshal(raw, &data); err != nil {
		return nil, fmt.Errorf("decode template data: %w", err)
	}
	return data, nil
}

func encodeData(data map[string]string) ([]byte, error) {
	b, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode template data: %w", err)
	}
	return b, nil
}

// formatDate writes a calendar date as a reader of the language expects it
// in running text.
func formatDate(lang, iso string) (string, error) {
	d, err := time.Parse(dateLayout, iso)
	if err != nil {
		return "", fmt.Errorf("date %q: %w", iso, err)
	}
	day, month, year := d.Day(), d.Month()-1, d.Year()
	switch lang {
	case "de":
		months := [...]string{"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"}
		return fmt.Sprintf("%d. %s %d", day, months[month], year), nil
	case "fr":
		months := [...]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"}
		if day == 1 {
			return fmt.Sprintf("1er %s %d", months[month], year), nil
		}
		return fmt.Sprintf("%d %s %d", day, months[month], year), nil
	case "es":
		months := [...]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"}
		return fmt.Sprintf("%d de %s de %d", day, months[month], year), nil
	case "it":
		months := [...]string{"gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre"}
		if day == 1 {
			return fmt.Sprintf("1º %s %d", months[month], year), nil
		}
		return fmt.Sprintf("%d %s %d", day, months[month], year), nil
	case "pl":
		// The genitive: "do dnia 2 marca 2026". Without the customary
		// "r.", whose period would double at the end of a sentence.
		months := [...]string{"stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca", "lipca", "sierpnia", "września", "października", "listopada", "grudnia"}
		return fmt.Sprintf("%d %s %d", day, months[month], year), nil
	default:
		return d.Format("2 January 2006"), nil
	}
}
