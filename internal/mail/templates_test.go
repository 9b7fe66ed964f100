package mail_test

import (
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/internal/mail"
)

// The languages every template must exist in (SPEC, reference data).
var requiredLanguages = []string{"en", "de", "fr", "es", "it", "pl"}

const sampleLink = "https://imi.example.eu/requests/7c1f"

// sampleData is what a caller would give for any kind: every field set.
func sampleData() mail.Data {
	return mail.Data{
		Reference:           "IMI-2026-004711",
		RequestingAuthority: "Ordre des architectes de Lyon",
		RespondingAuthority: "Architektenkammer Berlin",
		Authority:           "Urząd Wojewódzki w Krakowie",
		Deadline:            time.Date(2026, time.March, 9, 0, 0, 0, 0, time.UTC),
		ExpiresOn:           time.Date(2026, time.April, 11, 0, 0, 0, 0, time.UTC),
		Path:                "/requests/7c1f",
	}
}

// storedData is the data as the outbox keeps it for a kind: only what the
// kind needs, through the same code the callers use.
func storedData(t *testing.T, kind mail.Kind, d mail.Data) map[string]string {
	t.Helper()
	rows, err := mail.Notification{Kind: kind, EventKey: "test/" + string(kind), Data: d}.
		Outbox(mail.Recipient{Address: "official@example.test", Language: "en"})
	if err != nil {
		t.Fatalf("%s: %v", kind, err)
	}
	var data map[string]string
	if err := json.Unmarshal(rows[0].Data, &data); err != nil {
		t.Fatal(err)
	}
	return data
}

func loadTemplates(t *testing.T) *mail.Templates {
	t.Helper()
	tpl, err := mail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestTemplates_EveryKindRendersInEveryLanguage(t *testing.T) {
	tpl := loadTemplates(t)
	for _, lang := range requiredLanguages {
		if !slices.Contains(tpl.Languages(), lang) {
			t.Errorf("no templates in %s", lang)
		}
	}
	english := map[mail.Kind]string{}
	for _, lang := range tpl.Languages() {
		for _, kind := range mail.Kinds() {
			if !tpl.Has(lang, kind) {
				t.Errorf("%s: no %s (subject, body and action are all needed)", lang, kind)
				continue
			}
			data := storedData(t, kind, sampleData())
			r, err := tpl.Render(kind, lang, data, sampleLink)
			if err != nil {
				t.Errorf("%s %s: %v", lang, kind, err)
				continue
			}
			if r.Language != lang || r.FellBack {
				t.Errorf("%s %s: rendered in %s (fell back: %v)", lang, kind, r.Language, r.FellBack)
			}
			for part, s := range map[string]string{"subject": r.Subject, "text": r.Text, "html": r.HTML} {
				for _, leftover := range []string{"{{", "}}", "<no value>", "%!", "ZgotmplZ"} {
					if strings.Contains(s, leftover) {
						t.Errorf("%s %s: %s holds an unresolved %q:\n%s", lang, kind, part, leftover, s)
					}
				}
			}
			if strings.Contains(r.Text, "..") || strings.Contains(r.Text, " .") || strings.Contains(r.Text, ",,") {
				t.Errorf("%s %s: doubled punctuation in\n%s", lang, kind, r.Text)
			}
			if r.Subject == "" || strings.ContainsAny(r.Subject, "\r\n") {
				t.Errorf("%s %s: subject %q is not one line", lang, kind, r.Subject)
			}
			if _, ok := data[mail.FieldReference]; ok && !strings.HasPrefix(r.Subject, "["+data[mail.FieldReference]+"] ") {
				t.Errorf("%s %s: subject %q does not start with the reference", lang, kind, r.Subject)
			}
			if !strings.Contains(r.Text, sampleLink) || !strings.Contains(r.HTML, `href="`+sampleLink+`"`) {
				t.Errorf("%s %s: the link is missing from the text or the HTML", lang, kind)
			}
			if !strings.HasPrefix(r.HTML, "<!DOCTYPE html>") || !strings.Contains(r.HTML, `<html lang="`+lang+`">`) {
				t.Errorf("%s %s: HTML does not declare its language", lang, kind)
			}
			if lang == "en" {
				english[kind] = r.Text
			} else if r.Text == english[kind] {
				t.Errorf("%s %s: the text is the English one, untranslated", lang, kind)
			}
		}
	}
}

func TestTemplates_EachKindShowsEveryFieldItNeedsInEveryLanguage(t *testing.T) {
	// With missingkey=error, leaving out a field the template shows is an
	// error. A translation that dropped a field, or a kind that declares a
	// field no template shows, renders without it and fails here.
	tpl := loadTemplates(t)
	for _, lang := range tpl.Languages() {
		for _, kind := range mail.Kinds() {
			full := storedData(t, kind, sampleData())
			for field := range full {
				if field == mail.FieldPath { // shown as the link
					continue
				}
				partial := maps.Clone(full)
				delete(partial, field)
				if _, err := tpl.Render(kind, lang, partial, sampleLink); err == nil {
					t.Errorf("%s %s renders without %s, which the kind needs", lang, kind, field)
				}
			}
		}
	}
}

func TestTemplates_UnknownLanguageFallsBackToEnglish(t *testing.T) {
	tpl := loadTemplates(t)
	data := storedData(t, mail.RequestAccepted, sampleData())

	r, err := tpl.Render(mail.RequestAccepted, "sv", data, sampleLink)
	if err != nil {
		t.Fatal(err)
	}
	if r.Language != "en" || !r.FellBack || r.Subject != "[IMI-2026-004711] Your request has been accepted" {
		t.Errorf("Swedish: %+v, want the English mail, flagged as a fallback", r)
	}
	r, err = tpl.Render(mail.RequestAccepted, "de-AT", data, sampleLink)
	if err != nil {
		t.Fatal(err)
	}
	if r.Language != "de" || r.FellBack || !strings.Contains(r.Text, "bis zum 9. März 2026") {
		t.Errorf("Austrian German: language %s, text:\n%s\nwant German with a German date", r.Language, r.Text)
	}
}

func TestTemplates_UnknownKindIsReportedAsSuch(t *testing.T) {
	_, err := loadTemplates(t).Render("request_teleported", "en", nil, sampleLink)
	if !errors.Is(err, mail.ErrUnknownKind) {
		t.Errorf("err = %v, want ErrUnknownKind", err)
	}
}

func TestTemplates_DataIsEscapedInHTMLAndPlainInText(t *testing.T) {
	d := sampleData()
	d.RespondingAuthority = `Amt für <Prüfung> & "Aufsicht"`
	r, err := loadTemplates(t).Render(mail.RequestAnswered, "de", storedData(t, mail.RequestAnswered, d), sampleLink)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(r.HTML, "<Prüfung>") || !strings.Contains(r.HTML, "Amt für &lt;Prüfung&gt; &amp; &#34;Aufsicht&#34;") {
		t.Errorf("HTML does not escape the authority's name:\n%s", r.HTML)
	}
	if !strings.Contains(r.Text, `Amt für <Prüfung> & "Aufsicht" hat das Ersuchen IMI-2026-004711 beantwortet.`) {
		t.Errorf("text:\n%s", r.Text)
	}
}

func TestTemplates_DatesReadAsEachLanguageWritesThem(t *testing.T) {
	tpl := loadTemplates(t)
	d := sampleData()
	d.Deadline = time.Date(2026, time.February, 1, 23, 30, 0, 0, time.UTC)
	data := storedData(t, mail.RequestAccepted, d)
	want := map[string]string{
		"en": "by 1 February 2026",
		"de": "bis zum 1. Februar 2026",
		"fr": "au plus tard le 1er février 2026",
		"es": "a más tardar el 1 de febrero de 2026",
		"it": "entro il giorno 1º febbraio 2026",
		"pl": "do dnia 1 lutego 2026.",
	}
	for lang, phrase := range want {
		r, err := tpl.Render(mail.RequestAccepted, lang, data, sampleLink)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(r.Text, phrase) {
			t.Errorf("%s: %q not in\n%s", lang, phrase, r.Text)
		}
	}
}

func TestNotification_OutboxKeepsOnlyWhatTheKindShows(t *testing.T) {
	rows, err := mail.Notification{Kind: mail.RequestClosed, EventKey: "request/7c1f/closed", Data: sampleData()}.
		Outbox(
			mail.Recipient{Address: " handler@example.test ", Language: "DE-at"},
			mail.Recipient{Address: "mailbox@example.test"},
		)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows, want one per recipient", len(rows))
	}
	r := rows[0]
	if r.Recipient != "handler@example.test" || r.Language != "de" || rows[1].Language != "en" ||
		r.Template != "request_closed" || r.ThreadKey != "IMI-2026-004711" || r.EventKey != "request/7c1f/closed" {
		t.Errorf("row = %+v", r)
	}
	var data map[string]string
	if err := json.Unmarshal(r.Data, &data); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"Reference": "IMI-2026-004711", "RequestingAuthority": "Ordre des architectes de Lyon", "Path": "/requests/7c1f"}
	if !maps.Equal(data, want) {
		t.Errorf("stored data %v, want only %v", data, want)
	}
}

func TestNotification_OutboxRefusesWhatCanNeverBeSent(t *testing.T) {
	missing := sampleData()
	missing.Deadline = time.Time{}
	offsite := sampleData()
	offsite.Path = "//evil.example/phish"
	absolute := sampleData()
	absolute.Path = "https://evil.example/phish"
	cases := map[string]mail.Notification{
		"unknown kind":     {Kind: "request_teleported", EventKey: "e", Data: sampleData()},
		"no event key":     {Kind: mail.RequestAccepted, Data: sampleData()},
		"missing deadline": {Kind: mail.RequestAccepted, EventKey: "e", Data: missing},
		"link elsewhere":   {Kind: mail.RequestAccepted, EventKey: "e", Data: offsite},
		"absolute link":    {Kind: mail.RequestAccepted, EventKey: "e", Data: absolute},
	}
	for name, n := range cases {
		if _, err := n.Outbox(mail.Recipient{Address: "a@example.test"}); !errors.Is(err, mail.ErrInvalidNotification) {
			t.Errorf("%s: err = %v, want ErrInvalidNotification", name, err)
		}
	}
}
