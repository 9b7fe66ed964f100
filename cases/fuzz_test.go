package cases_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/openimi/openimi/cases"
)

// FuzzCheckText holds CheckText to its promise: what it lets through is
// valid UTF-8 without NUL or a control character but tab, CR and LF, so
// that PostgreSQL stores it and a page shows what it says.
func FuzzCheckText(f *testing.F) {
	for _, s := range []string{"", "Jan Kowalski", "a\x00b", "a\xffb", "\xc0\xaf", "\xed\xa0\x80", "x\u202ey", "tab\there", "\x1b[31m", "a & | !b:*"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		rule := checkTwice(t, s)
		if rule != "" {
			return
		}
		if !utf8.ValidString(s) {
			t.Fatalf("CheckText lets invalid UTF-8 through: %q", s)
		}
		if strings.ContainsRune(s, 0) {
			t.Fatalf("CheckText lets NUL through: %q", s)
		}
		for _, r := range s {
			if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
				t.Fatalf("CheckText lets control character %U through: %q", r, s)
			}
		}
	})
}

// checkTwice runs CheckText twice: its answer depends on the text alone.
func checkTwice(t *testing.T, s string) string {
	t.Helper()
	first, second := cases.CheckText(s), cases.CheckText(s)
	if first != second {
		t.Fatalf("CheckText(%q) answered %q, then %q", s, first, second)
	}
	return first
}

// fuzzInput has the shapes of the use cases' inputs: strings, a date, a
// bounded number, a list and a free map.
type fuzzInput struct {
	Subject  string            `json:"subject" binding:"required,max=500"`
	Lang     string            `json:"subject_lang" binding:"omitempty,len=2"`
	NeededBy string            `json:"needed_by" binding:"omitempty,datetime=2006-01-02"`
	Rating   *int              `json:"rating" binding:"omitempty,min=1,max=5"`
	Items    []string          `json:"items" binding:"max=20,dive,max=60"`
	Personal map[string]string `json:"personal_data" binding:"max=20"`
	Nested   *struct {
		Text string `json:"text"`
	} `json:"nested"`
}

// FuzzValidator decodes arbitrary JSON into an input and checks it: the
// Validator never panics, refuses only with an Invalid *cases.Error naming
// fields, and never lets through a string CheckText refuses.
func FuzzValidator(f *testing.F) {
	for _, s := range []string{
		`{"subject":"x"}`, `{"subject":"a\u0000b"}`, `{"subject":"ok","personal_data":{"a\u0000":"b"}}`,
		`{"subject":"ok","needed_by":"2026-02-30"}`, `{"subject":"ok","rating":9}`, `{"subject":"ok","items":["\u0007"]}`,
		`{"subject":"ok","nested":{"text":"\ud800"}}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	v := cases.NewValidator()
	f.Fuzz(func(t *testing.T, data []byte) {
		var in fuzzInput
		if json.Unmarshal(data, &in) != nil {
			return
		}
		err := v.Check(in)
		if err == nil {
			for _, s := range append([]string{in.Subject, in.Lang, in.NeededBy}, in.Items...) {
				if rule := cases.CheckText(s); rule != "" {
					t.Fatalf("the Validator lets %q through (%s)", s, rule)
				}
			}
			for k, val := range in.Personal {
				if cases.CheckText(k) != "" || cases.CheckText(val) != "" {
					t.Fatalf("the Validator lets personal_data %q: %q through", k, val)
				}
			}
			if in.Nested != nil && cases.CheckText(in.Nested.Text) != "" {
				t.Fatalf("the Validator lets nested text %q through", in.Nested.Text)
			}
			if in.NeededBy != "" {
				if _, perr := time.Parse(time.DateOnly, in.NeededBy); perr != nil {
					t.Fatalf("the Validator takes needed_by %q, which time.Parse refuses: %v", in.NeededBy, perr)
				}
			}
			return
		}
		var ce *cases.Error
		if !errors.As(err, &ce) {
			t.Fatalf("the Validator refuses with %T, not a *cases.Error: %v", err, err)
		}
	})
}

// FuzzNeededByDate holds the date rule the inputs use for needed_by and
// proposed reply dates to time.Parse: what the rule takes parses, and
// parses to the same day written back.
func FuzzNeededByDate(f *testing.F) {
	for _, s := range []string{"2026-12-24", "2026-02-30", "0000-00-00", "9999-12-31", "-0001-01-01", "2026-1-1", "2026-12-24T00:00:00Z", "２０２６-01-01", ""} {
		f.Add(s)
	}
	v := cases.NewValidator()
	f.Fuzz(func(t *testing.T, s string) {
		in := struct {
			NeededBy string `json:"needed_by" binding:"required,datetime=2006-01-02"`
		}{s}
		if v.Check(in) != nil {
			return
		}
		d, err := time.Parse(time.DateOnly, s)
		if err != nil {
			t.Fatalf("needed_by %q passes the rule but does not parse: %v", s, err)
		}
		if d.Format(time.DateOnly) != s {
			t.Fatalf("needed_by %q parses to %s", s, d.Format(time.DateOnly))
		}
	})
}
