package catalog

import "testing"

// FuzzNegotiate: whatever ?lang= and Accept-Language say, negotiation
// never panics and answers a language the catalog offers, or an error for
// a malformed explicit choice only.
func FuzzNegotiate(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"de", ""}, {"de-AT", "fr;q=0.9"}, {"", "fr-BE, fr;q=0.9, en;q=0.5"}, {"xx", "pl"}, {"%ff", ""},
		{"", "*;q=0"}, {"nb", ""}, {"", "de;q=2, en;q=-1"}, {"zh-Hant-TW-x-private", ""}, {"", "a\x00b"},
	} {
		f.Add(s[0], s[1])
	}
	cat, err := Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, explicit, header string) {
		lang, err := cat.Negotiate(explicit, header)
		if err != nil {
			if explicit == "" {
				t.Fatalf("Negotiate(%q, %q) fails without an explicit choice: %v", explicit, header, err)
			}
			return
		}
		if _, ok := cat.Language(lang); !ok {
			t.Fatalf("Negotiate(%q, %q) = %q, which the catalog does not offer", explicit, header, lang)
		}
		again, _ := cat.Negotiate(explicit, header)
		if again != lang {
			t.Fatalf("Negotiate(%q, %q) answered %q, then %q", explicit, header, lang, again)
		}
	})
}
