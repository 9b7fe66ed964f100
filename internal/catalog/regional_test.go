package catalog_test

import (
	"testing"

	"github.com/openimi/openimi/internal/catalog"
)

func TestNameLanguage_AcceptsRegionalOfficialLanguagesThatOpenIMIIsNotOfferedIn(t *testing.T) {
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []string{"ca", "eu", "gl", "lb", "de", "ga"} {
		if _, ok := cat.NameLanguage(code); !ok {
			t.Errorf("NameLanguage(%q) refused; an authority may name itself in it", code)
		}
	}
	for _, code := range []string{"xx", "", "EN", "zz"} {
		if _, ok := cat.NameLanguage(code); ok {
			t.Errorf("NameLanguage(%q) accepted", code)
		}
	}
	// Regional languages are not offered: no page, mail or negotiation in them.
	if _, ok := cat.Language("ca"); ok {
		t.Error(`Language("ca") found: Catalan is not a language OpenIMI is offered in`)
	}
	for _, l := range cat.Languages() {
		if l.Regional {
			t.Errorf("Languages() lists the regional %q", l.Code)
		}
	}
	if got, _ := cat.Negotiate("", "ca-ES,ca;q=0.9"); got == "ca" {
		t.Error("a browser asking for Catalan was answered in Catalan")
	}
}
