package web

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/internal/password"
)

//go:embed templates
var templateFiles embed.FS

// pages are the parsed templates, one set per page: the layout and its
// partials, then the page's own file defining "title" and "content".
type pages struct {
	byName map[string]*template.Template
}

func loadPages() (*pages, error) {
	funcs := template.FuncMap{
		// fieldID is the id of a form field, which the error summary links to.
		"fieldID":     func(name string) string { return "f-" + strings.NewReplacer(".", "-", "[", "-", "]", "").Replace(name) },
		"minPassword": func() int { return password.MinLength },
		"deref": func(s *string) string {
			if s == nil {
				return ""
			}
			return *s
		},
		"list": func(items ...string) []string { return items },
		"derefFloat": func(v *float64) float64 {
			if v == nil {
				return 0
			}
			return *v
		},
		"add":  func(a, b int) int { return a + b },
		"addf": func(a float64, b int) float64 { return a + float64(b) },
		// bandColour fills a chart's bar; the band is also written as a word
		// in the table, so colour is never the only sign.
		"bandColour": func(band string) string {
			switch band {
			case "green":
				return "#467a39"
			case "yellow":
				return "#ffd617"
			case "red":
				return "#b3000f"
			}
			return "#707070"
		},
		// optionLabel is a choice answer's label in the reader's language.
		"optionLabel": func(options []cases.OptionView, code string) string {
			for _, o := range options {
				if o.Code == code {
					return o.Label
				}
			}
			return code
		},
		// input is what the "field" template shows: one labelled input.
		"input": func(p *Page, name, typ, autocomplete string) map[string]any {
			return map[string]any{"Page": p, "Name": name, "Type": typ, "Autocomplete": autocomplete}
		},
		"optional": func(p *Page, name, typ, autocomplete string) map[string]any {
			return map[string]any{"Page": p, "Name": name, "Type": typ, "Autocomplete": autocomplete, "Optional": true}
		},
		"choices": func(p *Page, name string, options []option) map[string]any {
			return map[string]any{"Page": p, "Name": name, "Options": options}
		},
	}
	base, err := template.New("layout").Funcs(funcs).ParseFS(templateFiles, "templates/layout/*.html")
	if err != nil {
		return nil, fmt.Errorf("pages: layout: %w", err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	err = fs.WalkDir(templateFiles, "templates", func(file string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(file, "templates/layout/") {
			return err
		}
		t, err := template.Must(base.Clone()).ParseFS(templateFiles, file)
		if err != nil {
			return fmt.Errorf("pages: %s: %w", file, err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(file, "templates/"), path.Ext(file))
		p.byName[name] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// Page is what every template is given: the reader, their language, the
// form token, the errors of the last post, and the page's own data.
type Page struct {
	h *Handler
	// Lang is the language the page is written in.
	Lang string
	// TitleKey names the page's title in the translations.
	TitleKey string
	// Reader is the signed-in official; nil when signed out.
	Reader *Reader
	// CSRF is the token every posting form carries.
	CSRF string
	// Languages are the switcher's links.
	Languages []LanguageLink
	// Errors are the fields the last post got wrong, for the summary and
	// beside each field.
	Errors []FieldMessage
	// Problem is a message about the whole form (a wrong password, an
	// expired link), shown at the top.
	Problem string
	// Notice is a confirmation of what was just done.
	Notice string
	// Form holds what the official typed, to show it again on error.
	Form url.Values
	// Data is the page's own content.
	Data any
	// Labels, when set, prefixes the keys of this page's field labels
	// that differ from the usual "field."+name (the first user is "you"
	// when registering oneself, not when a coordinator registers them).
	Labels string
}

// Reader is the signed-in official as the header shows them.
type Reader struct {
	Name      string
	Email     string
	Authority string
	// Coordinator shows the desk in the menu; the desk's use case decides
	// what it lists.
	Coordinator bool
	// Administrator shows the users' page in the menu.
	Administrator bool
	// Helpdesk shows the coordinators' registration in the menu.
	Helpdesk bool
}

// LanguageLink is one entry of the language switcher.
type LanguageLink struct {
	Code, Name, Href string
	Current          bool
}

// FieldMessage is one field's error, in the reader's language.
type FieldMessage struct {
	Field   string
	Message string
}

// T translates a key for the page's reader.
func (p *Page) T(key string, args ...any) string { return p.h.texts.text(p.Lang, key, args...) }

// Label translates prefix+key when the pages know it, else shows key as it
// is (an event kind added since the translations were written).
func (p *Page) Label(prefix, key string) string {
	if p.h.texts.has(prefix + key) {
		return p.T(prefix + key)
	}
	return key
}

// AreaName is a legislative area's name in the reader's language.
func (p *Page) AreaName(code string) string {
	if a, ok := p.h.catalog.Area(code); ok {
		name, _, _ := a.Name.In(p.Lang)
		return name
	}
	return code
}

// Day writes a date given as YYYY-MM-DD in the reader's language.
func (p *Page) Day(date string) string {
	t, err := time.Parse("2006-01-02", date)
	if err != nil {
		return date
	}
	return p.h.texts.date(p.Lang, t)
}

// Date writes a day in the reader's language.
func (p *Page) Date(t time.Time) string { return p.h.texts.date(p.Lang, t) }

// DateTime writes a moment in the reader's language, in UTC.
func (p *Page) DateTime(t time.Time) string { return p.h.texts.dateTime(p.Lang, t) }

// FieldLabel names a field in the reader's language: the page's own label
// when it has one, else the usual.
func (p *Page) FieldLabel(field string) string {
	if p.Labels != "" && p.h.texts.has(p.Labels+field) {
		return p.T(p.Labels + field)
	}
	return p.T("field." + field)
}

// ErrorFor is the message beside a field, or "".
func (p *Page) ErrorFor(field string) string {
	for _, e := range p.Errors {
		if e.Field == field {
			return e.Message
		}
	}
	return ""
}

// Value is what the official typed into a field before the page came back.
func (p *Page) Value(field string) string { return p.Form.Get(field) }

// page starts the data of a page for the request.
func (h *Handler) page(w http.ResponseWriter, r *http.Request, reader *Reader, account, titleKey string) *Page {
	lang := h.texts.language(h.catalog, r, account)
	p := &Page{h: h, Lang: lang, TitleKey: titleKey, Reader: reader, CSRF: h.csrfToken(w, r), Form: url.Values{}}
	for _, code := range uiLanguages {
		u := *r.URL
		q := u.Query()
		q.Set("lang", code)
		u.RawQuery = q.Encode()
		p.Languages = append(p.Languages, LanguageLink{Code: code, Name: h.texts.names[code], Href: u.RequestURI(), Current: code == lang})
	}
	return p
}

// render writes a page. Every page may show personal data or a token, so
// none is stored by the browser or a proxy.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	t, ok := h.pages.byName[name]
	if !ok {
		h.fail(w, r, fmt.Errorf("no page template %q", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "base", p); err != nil {
		h.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "The page could not be shown.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// useCaseError shows a use case's refusal on the page p of the form that
// was posted: an invalid field beside the field and in the summary, any
// other refusal as the form's problem. It returns the status to answer.
func (h *Handler) useCaseError(p *Page, err error) (int, bool) {
	e := cases.AsError(err)
	if e == nil {
		return 0, false
	}
	switch e.Kind {
	case cases.Invalid:
		for _, f := range e.Fields {
			p.Errors = append(p.Errors, FieldMessage{Field: f.Field, Message: h.fieldMessage(p.Lang, f)})
		}
		if len(p.Errors) == 0 {
			p.Problem = h.problem(p.Lang, e)
		}
		return http.StatusUnprocessableEntity, true
	default:
		p.Problem = h.problem(p.Lang, e)
		return e.Kind.HTTPStatus(), true
	}
}

func (h *Handler) fieldMessage(lang string, f cases.FieldError) string {
	key := "error.rule." + f.Rule
	if !h.texts.has(key) {
		key = "error.rule.other"
	}
	return h.texts.text(lang, key, f.Param)
}

// problem is an error's message for the reader: its code translated when
// the pages know it, else the kind's general message.
func (h *Handler) problem(lang string, e *cases.Error) string {
	if key := "error.code." + e.Code; h.texts.has(key) {
		return h.texts.text(lang, key)
	}
	return h.texts.text(lang, "error.kind."+kindName(e.Kind))
}

func kindName(k cases.Kind) string {
	switch k {
	case cases.Invalid:
		return "invalid"
	case cases.Malformed:
		return "malformed"
	case cases.Unauthenticated:
		return "unauthenticated"
	case cases.Forbidden:
		return "forbidden"
	case cases.NotFound:
		return "not_found"
	case cases.Conflict:
		return "conflict"
	case cases.Gone:
		return "gone"
	case cases.TooLarge:
		return "too_large"
	case cases.TooMany:
		return "too_many"
	default:
		return "unavailable"
	}
}

// fail answers a request whose use case failed outside of a form: a
// refusal as its own page, anything else as a 500 with the cause logged.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	reader, account := h.readerOf(r)
	e := cases.AsError(err)
	if e != nil && e.Kind == cases.Unauthenticated {
		h.toSignIn(w, r)
		return
	}
	p := h.page(w, r, reader, account, "error.title")
	status := http.StatusInternalServerError
	switch {
	case e != nil:
		status = e.Kind.HTTPStatus()
		p.Problem = h.problem(p.Lang, e)
		if e.Kind == cases.NotFound {
			p.TitleKey = "error.not_found.title"
		}
	case errors.Is(err, errNotFound):
		status = http.StatusNotFound
		p.TitleKey = "error.not_found.title"
		p.Problem = p.T("error.kind.not_found")
	default:
		h.log.ErrorContext(r.Context(), "page failed", "path", r.URL.Path, "err", err)
		p.Problem = p.T("error.internal")
	}
	h.render(w, r, status, "errors/error", p)
}

var errNotFound = errors.New("no such page")

func (h *Handler) notFound(w http.ResponseWriter, r *http.Request) { h.fail(w, r, errNotFound) }

// refuseForm answers a post that lacks its form token or comes from another
// site: nothing was done.
func (h *Handler) refuseForm(w http.ResponseWriter, r *http.Request) {
	reader, account := h.readerOf(r)
	p := h.page(w, r, reader, account, "error.csrf.title")
	p.Problem = p.T("error.csrf.message")
	h.render(w, r, http.StatusForbidden, "errors/error", p)
}
