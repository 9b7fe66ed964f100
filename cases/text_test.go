package cases

import "testing"

func TestCheckText_RefusesWhatPostgreSQLOrAReaderCannotTakeAndKeepsLanguages(t *testing.T) {
	for _, tc := range []struct {
		name, text, rule string
	}{
		{"plain", "Is the diploma authentic?", ""},
		{"languages", "Żółć, Straße, Ελλάδα, Lloret de Vistalegre", ""},
		{"lines and tabs", "first\r\nsecond\tthird", ""},
		{"nul", "a\x00b", "control_character"},
		{"escape", "a\x1bb", "control_character"},
		{"c1 control", "a\u0085b", "control_character"},
		{"invalid byte", "a\xffb", "utf8"},
		{"overlong slash", "a\xc0\xafb", "utf8"},
		{"surrogate", "a\xed\xa0\x80b", "utf8"},
		{"truncated", "\xe2\x82", "utf8"},
	} {
		if got := CheckText(tc.text); got != tc.rule {
			t.Errorf("%s: CheckText(%q) = %q, want %q", tc.name, tc.text, got, tc.rule)
		}
	}
}

func TestValidator_NamesEveryBadStringByTheCallersSpellingAndThenTheRules(t *testing.T) {
	type answer struct {
		Text string `json:"text" binding:"max=5"`
	}
	type input struct {
		Subject  *string           `json:"subject" binding:"required"`
		Area     string            `form:"area"`
		Answers  []answer          `json:"answers" binding:"dive"`
		Personal map[string]string `json:"personal_data"`
		Skipped  string            `json:"-"`
	}
	v := NewValidator()
	nul := "a\x00"
	err := v.Check(input{Subject: &nul, Area: "\xff", Answers: []answer{{Text: "ok"}, {Text: "\x01"}},
		Personal: map[string]string{"name": "\x00", "b\x00": "x"}, Skipped: "\x00"})
	e := AsError(err)
	if e == nil || e.Kind != Invalid {
		t.Fatalf("Check = %v, want an Invalid error", err)
	}
	want := []string{"subject", "area", "answers[1].text", "personal_data", "personal_data[name]"}
	if len(e.Fields) != len(want) {
		t.Fatalf("fields = %+v, want %v", e.Fields, want)
	}
	for i, f := range e.Fields {
		if f.Field != want[i] {
			t.Errorf("field %d = %q, want %q", i, f.Field, want[i])
		}
	}

	ok := "subject"
	err = v.Check(input{Subject: &ok, Answers: []answer{{Text: "too long"}}})
	if e := AsError(err); e == nil || len(e.Fields) != 1 || e.Fields[0].Field != "answers[0].text" || e.Fields[0].Rule != "max" {
		t.Fatalf("Check = %+v, want answers[0].text failing max", err)
	}
	if err := v.Check(input{Subject: &ok}); err != nil {
		t.Fatalf("Check of good input = %v", err)
	}
}

func TestValidator_AnEmbeddedStructsFieldsAreNamedAsTheCallerSendsThem(t *testing.T) {
	type body struct {
		Text string `json:"text" binding:"max=3"`
	}
	type input struct {
		ID string `form:"id"`
		body
		Body body `json:"body"`
	}
	err := NewValidator().Check(input{body: body{Text: "too long"}, Body: body{Text: "long too"}})
	e := AsError(err)
	if e == nil || len(e.Fields) != 2 || e.Fields[0].Field != "text" || e.Fields[1].Field != "body.text" {
		t.Fatalf("Check = %+v, want text and body.text", err)
	}
}

func TestKind_EveryKindHasItsOwnHTTPStatusAndAnUnknownOneIs500(t *testing.T) {
	seen := map[int]Kind{}
	for k := Invalid; k <= Unsupported; k++ {
		status := k.HTTPStatus()
		if status < 400 || status == 500 {
			t.Errorf("kind %d answers %d", k, status)
		}
		if other, dup := seen[status]; dup {
			t.Errorf("kinds %d and %d both answer %d", other, k, status)
		}
		seen[status] = k
	}
	if got := Kind(0).HTTPStatus(); got != 500 {
		t.Errorf("an unknown kind answers %d, want 500", got)
	}
}
