package catalog

import (
	"errors"
	"fmt"

	"golang.org/x/text/language"
)

// ErrInvalidLanguage is returned for a language parameter that is not a
// well-formed language tag; the API answers it with a 400.
var ErrInvalidLanguage = errors.New("invalid language tag")

// Negotiate picks the language to answer in: the explicit choice (a `lang`
// query parameter) wins over the Accept-Language header, each is matched
// against the supported languages ("de-AT" gets German, "nb" Norwegian),
// and English is what is left when nothing matches.
//
// A malformed explicit choice is an error wrapping ErrInvalidLanguage: the
// caller asked for something precise and should learn it was garbled. A
// well-formed but unsupported one ("zh") is not an error and yields to the
// header. A malformed header is ignored, as browsers and proxies send odd
// ones the official cannot fix.
func (c *Catalog) Negotiate(explicit, acceptLanguage string) (string, error) {
	var prefs []language.Tag
	if explicit != "" {
		tag, err := language.Parse(explicit)
		var unknown language.ValueError
		switch {
		case errors.As(err, &unknown):
			// Well-formed with an unknown subtag ("xx"): as unsupported.
		case err != nil:
			return "", fmt.Errorf("%w %q: %v", ErrInvalidLanguage, explicit, err)
		default:
			prefs = append(prefs, tag)
		}
	}
	if acceptLanguage != "" {
		if tags, _, err := language.ParseAcceptLanguage(acceptLanguage); err == nil {
			prefs = append(prefs, tags...)
		}
	}
	if len(prefs) == 0 {
		return English, nil
	}
	_, index, confidence := c.matcher.Match(prefs...)
	if confidence == language.No {
		return English, nil
	}
	return c.supported[index], nil
}
