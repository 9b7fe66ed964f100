package cases

import (
	"unicode"
	"unicode/utf8"
)

// CheckText tells whether s may be stored and shown as text: valid UTF-8
// (so no overlong forms or lone surrogates, which Go's decoder refuses), no
// NUL, which PostgreSQL's text type cannot hold, and no other control
// character but tab, line feed and carriage return, which no official
// types and which can hide what a page shows. It returns the rule broken,
// or "" when the text is fine.
func CheckText(s string) string {
	if !utf8.ValidString(s) {
		return "utf8"
	}
	for _, r := range s {
		if r == '\t' || r == '\n' || r == '\r' {
			continue
		}
		if unicode.IsControl(r) {
			return "control_character"
		}
	}
	return ""
}
