package demo

import (
	"strings"
	"unicode/utf8"
)

// transliteration spells the letters of the names in plain ASCII, for
// mailbox domains. Letters missing here are dropped, and a test checks that
// no name has one.
var transliteration = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'ā': "a", 'ă': "a", 'ą': "a", 'æ': "ae",
	'ç': "c", 'ć': "c", 'č': "c", 'ċ': "c", 'ď': "d", 'đ': "d", 'ð': "d",
	'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ē': "e", 'ė': "e", 'ę': "e", 'ě': "e",
	'ğ': "g", 'ġ': "g", 'ģ': "g", 'ħ': "h", 'ì': "i", 'í': "i", 'î': "i", 'ï': "i", 'ī': "i", 'į': "i", 'ı': "i",
	'ķ': "k", 'ĺ': "l", 'ļ': "l", 'ľ': "l", 'ł': "l", 'ñ': "n", 'ń': "n", 'ň': "n", 'ņ': "n",
	'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o", 'ö': "o", 'ø': "o", 'ō': "o", 'ő': "o", 'œ': "oe",
	'ŕ': "r", 'ř': "r", 'ś': "s", 'š': "s", 'ş': "s", 'ș': "s", 'ß': "ss", 'ť': "t", 'ţ': "t", 'ț': "t",
	'ù': "u", 'ú': "u", 'û': "u", 'ü': "u", 'ū': "u", 'ů': "u", 'ű': "u", 'ų': "u", 'ý': "y", 'ÿ': "y",
	'ź': "z", 'ż': "z", 'ž': "z", 'þ': "th",
	// Greek
	'α': "a", 'ά': "a", 'β': "v", 'γ': "g", 'δ': "d", 'ε': "e", 'έ': "e", 'ζ': "z", 'η': "i", 'ή': "i", 'θ': "th",
	'ι': "i", 'ί': "i", 'ϊ': "i", 'ΐ': "i", 'κ': "k", 'λ': "l", 'μ': "m", 'ν': "n", 'ξ': "x", 'ο': "o", 'ό': "o",
	'π': "p", 'ρ': "r", 'σ': "s", 'ς': "s", 'τ': "t", 'υ': "y", 'ύ': "y", 'ϋ': "y", 'ΰ': "y", 'φ': "f", 'χ': "ch",
	'ψ': "ps", 'ω': "o", 'ώ': "o",
	// Bulgarian Cyrillic (the official streamlined system)
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ж': "zh", 'з': "z", 'и': "i", 'й': "y", 'к': "k",
	'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "h",
	'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "sht", 'ъ': "a", 'ь': "y", 'ю': "yu", 'я': "ya",
}

// germanUmlauts are spelt out the German way in German names
// ("aerztekammer"), as German domains do.
var germanUmlauts = map[rune]string{'ä': "ae", 'ö': "oe", 'ü': "ue", 'ß': "ss"}

// slug turns a name into lower-case ASCII words joined by hyphens.
func slug(name, lang string) string {
	var b strings.Builder
	pendingHyphen := false
	for _, r := range strings.ToLower(name) {
		var s string
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			s = string(r)
		case r == '\'' || r == '’':
			// "d'Inca" → "dinca", as elided articles are written in domains.
			continue
		default:
			if lang == "de" {
				s = germanUmlauts[r]
			}
			if s == "" {
				s = transliteration[r]
			}
		}
		if s == "" {
			pendingHyphen = b.Len() > 0
			continue
		}
		if pendingHyphen {
			b.WriteByte('-')
			pendingHyphen = false
		}
		b.WriteString(s)
	}
	return b.String()
}

// acronym is the initials of the words of four letters or more, the way
// long institution names are shortened in their domains ("bmsgpk").
func acronym(text, lang string) string {
	var b strings.Builder
	for _, w := range strings.Split(slug(text, lang), "-") {
		if utf8.RuneCountInString(w) >= 4 {
			b.WriteByte(w[0])
		}
	}
	return b.String()
}

// maxDomainSlug keeps mailbox domains readable and well under the 63
// characters a DNS label allows.
const maxDomainSlug = 40

// domainSlug is the first label of a body's mailbox domain: its name; when
// that is too long, the kind's own words and the place; when those are too
// long still, their initials and the place ("bmsgpk", "ozp-bratislava").
func domainSlug(name, kindWords, placeName, lang string) string {
	s := slug(name, lang)
	if len(s) <= maxDomainSlug {
		return s
	}
	suffix := ""
	if placeName != "" {
		suffix = "-" + slug(placeName, lang)
	}
	if words := slug(kindWords, lang); words != "" && len(words)+len(suffix) <= maxDomainSlug {
		return words + suffix
	}
	if short := acronym(kindWords, lang); len(short) >= 2 {
		return truncateSlug(short + suffix)
	}
	return truncateSlug(s)
}

// truncateSlug cuts at a hyphen so that no word is broken.
func truncateSlug(s string) string {
	if len(s) <= maxDomainSlug {
		return s
	}
	cut := strings.LastIndexByte(s[:maxDomainSlug], '-')
	if cut <= 0 {
		return s[:maxDomainSlug]
	}
	return s[:cut]
}

// stripPlaceholders leaves the words a template writes itself.
func stripPlaceholders(tmpl string) string {
	var b strings.Builder
	for {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:open])
		end := strings.IndexByte(tmpl[open:], '}')
		if end < 0 {
			return b.String()
		}
		tmpl = tmpl[open+end+1:]
	}
}
