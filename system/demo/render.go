package demo

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// templateFor is the country's template for a kind in a language: the
// country's override when it has one ("" meaning the kind is not made
// there), else the language's.
func templateFor(c *country, langs map[string]language, lang string, k kindKey) string {
	if byKind, ok := c.overrides[lang]; ok {
		if t, ok := byKind[k]; ok {
			return t
		}
	}
	return langs[lang].templates[k]
}

// ofForm is the place's "of" form: given, or derived where the language's
// rule is regular enough.
func ofForm(p place, lang string) string {
	if p.of != "" {
		return p.of
	}
	switch lang {
	case "fr", "ca":
		switch {
		case lang == "fr" && strings.HasPrefix(p.name, "Le "):
			return "du " + strings.TrimPrefix(p.name, "Le ")
		case lang == "fr" && strings.HasPrefix(p.name, "Les "):
			return "des " + strings.TrimPrefix(p.name, "Les ")
		case startsWithVowel(p.name):
			return "d'" + p.name
		default:
			return "de " + p.name
		}
	case "sv":
		// Swedish genitive: no -s after a vowel or a sibilant.
		last, _ := utf8.DecodeLastRuneInString(p.name)
		if strings.ContainsRune("aeiouyåäösxz", unicode.ToLower(last)) {
			return p.name
		}
		return p.name + "s"
	case "da", "no":
		return p.name
	}
	return ""
}

func startsWithVowel(s string) bool {
	first, _ := utf8.DecodeRuneInString(s)
	return strings.ContainsRune("aeiouyàâéèêëîïôûüAEIOUYÀÂÉÈÊËÎÏÔÛÜ", first)
}

// render fills a template with a place's forms. It fails when the template
// needs a form the place lacks, rather than write a name that is wrong.
func render(tmpl string, p place, lang, mun string) (string, bool) {
	if tmpl == "" {
		return "", false
	}
	forms := []struct{ key, value string }{
		{"{name}", p.name}, {"{of}", ofForm(p, lang)}, {"{at}", p.at},
		{"{attr}", p.attr}, {"{seat}", p.seat}, {"{mun}", mun},
	}
	out := tmpl
	for _, f := range forms {
		if !strings.Contains(out, f.key) {
			continue
		}
		if f.value == "" {
			return "", false
		}
		out = strings.ReplaceAll(out, f.key, f.value)
	}
	if strings.ContainsAny(out, "{}") {
		return "", false
	}
	return out, true
}

// municipalityName is the official name of a city's municipality in the
// city's language.
func municipalityName(c *country, langs map[string]language, p place, lang string) (string, bool) {
	if p.mun != "" {
		return p.mun, true
	}
	return render(templateFor(c, langs, lang, kMunicipality), p, lang, "")
}
