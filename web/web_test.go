package web

import (
	"testing"
	"time"
)

func TestLocales_EveryLanguageHasEveryKeyAndWritesDatesItsWay(t *testing.T) {
	l, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, time.March, 14, 9, 30, 0, 0, time.UTC)
	for lang, want := range map[string]string{
		"en": "14 March 2026", "de": "14. März 2026", "fr": "14 mars 2026",
		"es": "14 de marzo de 2026", "it": "14 marzo 2026", "pl": "14 marca 2026",
	} {
		if got := l.date(lang, day); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if got := l.dateTime("de", day); got != "14. März 2026 09:30 UTC" {
		t.Errorf("date and time in German: %q", got)
	}
}

func TestLocalPath_KeepsTheReaderOnThisSite(t *testing.T) {
	for next, want := range map[string]string{
		"/requests/1?tab=x":      "/requests/1?tab=x",
		"":                       "/",
		"https://evil.example/":  "/",
		"//evil.example/x":       "/",
		"/\\evil.example":        "/",
		"javascript:alert(1)":    "/",
		"/registrations/abc#top": "/registrations/abc",
	} {
		if got := localPath(next); got != want {
			t.Errorf("localPath(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestPages_EveryTemplateParses(t *testing.T) {
	p, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"account/sign-in", "account/set-password", "account/reset-request", "home/home", "errors/error", "dev/mailbox", "dev/message", "registrations/register", "registrations/show", "requests/show", "requests/box"} {
		if p.byName[name] == nil {
			t.Errorf("no page %s", name)
		}
	}
}
