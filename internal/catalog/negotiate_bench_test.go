package catalog_test

import (
	"testing"

	"github.com/openimi/openimi/internal/catalog"
)

// BenchmarkNegotiate is paid by every call that shows translated text: the
// reader's language picked from a browser's Accept-Language.
func BenchmarkNegotiate(b *testing.B) {
	c, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		lang, err := c.Negotiate("", "de-AT,de;q=0.9,en-GB;q=0.8,en;q=0.7")
		if err != nil || lang != "de" {
			b.Fatalf("negotiated %q, %v", lang, err)
		}
	}
}
