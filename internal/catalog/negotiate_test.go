package catalog_test

import (
	"errors"
	"testing"

	"github.com/openimi/openimi/internal/catalog"
)

func TestNegotiate_PicksTheCallersLanguage(t *testing.T) {
	c := shipped(t)
	for _, tc := range []struct {
		name, query, header, want string
	}{
		{"nothing asked gets English", "", "", "en"},
		{"the query alone", "de", "", "de"},
		{"the header alone", "", "pl", "pl"},
		{"the query beats the header", "fr", "de, pl;q=0.8", "fr"},
		{"the header's q-values are honoured", "", "fr;q=0.5, it;q=0.9, es;q=0.1", "it"},
		{"a regional variant gets its language", "de-AT", "", "de"},
		{"a regional header gets its language", "", "pt-BR,pt;q=0.9", "pt"},
		{"Bokmål gets Norwegian", "nb", "", "no"},
		{"Nynorsk gets Norwegian", "", "nn", "no"},
		{"an unsupported query yields to the header", "zh", "es", "es"},
		{"an unsupported language gets English", "ja", "ko", "en"},
		{"a well-formed unknown subtag gets English", "xx", "", "en"},
		{"a malformed header is ignored", "", "de;q=nonsense;;", "en"},
		{"case does not matter", "DE", "", "de"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := c.Negotiate(tc.query, tc.header)
			if err != nil || got != tc.want {
				t.Errorf("Negotiate(%q, %q) = %q, %v; want %q", tc.query, tc.header, got, err, tc.want)
			}
		})
	}
}

func TestNegotiate_AMalformedLanguageParameterIsAnError(t *testing.T) {
	c := shipped(t)
	for _, query := range []string{"???", "x", "deutsch-mit-umlauten-bitte", "de-", "12"} {
		got, err := c.Negotiate(query, "de")
		if !errors.Is(err, catalog.ErrInvalidLanguage) {
			t.Errorf("Negotiate(%q) = %q, %v; want ErrInvalidLanguage", query, got, err)
		}
	}
}
