package catalog_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/openimi/openimi/internal/catalog"
)

// validSource is the smallest data that pass validation; each test breaks
// one thing in a fresh copy.
func validSource() catalog.Source {
	questions := make([]catalog.Question, 0, catalog.MinQuestionsPerArea)
	questions = append(questions, catalog.Question{
		Code: "level", Type: catalog.AnswerChoice,
		Text: catalog.Text{"en": "Which level?", "de": "Welches Niveau?"},
		Options: []catalog.Option{
			{Code: "low", Label: catalog.Text{"en": "Low"}},
			{Code: "high", Label: catalog.Text{"en": "High"}},
		},
	})
	for i := len(questions); i < catalog.MinQuestionsPerArea; i++ {
		questions = append(questions, catalog.Question{
			Code: fmt.Sprintf("question-%d", i), Type: catalog.AnswerYesNo, PersonalData: i%2 == 0,
			Text: catalog.Text{"en": fmt.Sprintf("Question %d?", i)},
		})
	}
	return catalog.Source{
		Languages: []catalog.Language{
			{Code: "en", Name: "English", Autonym: "English"},
			{Code: "de", Name: "German", Autonym: "Deutsch"},
		},
		Countries: []catalog.Country{
			{Code: "AT", Languages: []string{"de"}, Name: catalog.Text{"en": "Austria", "de": "Österreich"}},
			{Code: "IE", Languages: []string{"en"}, Name: catalog.Text{"en": "Ireland"}},
		},
		Areas: []catalog.Area{{
			Code:       "test-area",
			Name:       catalog.Text{"en": "Test area"},
			LegalBasis: catalog.Text{"en": "Directive 0000/00/EC"},
			Deadlines: catalog.Deadlines{
				Acceptance: catalog.AcceptanceDeadlines{ReminderDays: []int{3, 6}, EscalateDay: 7},
				Reply:      catalog.ReplyDeadlines{ReminderDaysBefore: []int{3, 0}, EscalateDaysAfter: 3, EscalateBothDaysAfter: 10},
			},
			Retention: catalog.Retention{BlockAfterMonths: 6, DeleteAfterMonths: 36},
			Questions: questions,
			Competences: []catalog.Competence{
				{Code: "doctor", Label: catalog.Text{"en": "Doctor"}, Keywords: catalog.Keywords{"de": {"Arzt"}}},
			},
		}},
	}
}

func TestNew_AcceptsTheMinimalValidFixture(t *testing.T) {
	if _, err := catalog.New(validSource()); err != nil {
		t.Fatalf("the fixture every validation test starts from is invalid: %v", err)
	}
}

func TestNew_RefusesBrokenData(t *testing.T) {
	area := func(s *catalog.Source) *catalog.Area { return &s.Areas[0] }
	for _, tc := range []struct {
		name   string
		mutate func(s *catalog.Source)
		want   string
	}{
		{"English is not a supported language", func(s *catalog.Source) { s.Languages = s.Languages[1:] }, `English ("en") must be supported`},
		{"a language code is not ISO 639-1", func(s *catalog.Source) { s.Languages[1].Code = "ger" }, `language "ger": the code must be two lower-case letters`},
		{"a language is listed twice", func(s *catalog.Source) { s.Languages = append(s.Languages, s.Languages[1]) }, `language "de": listed twice`},
		{"a country code is listed twice", func(s *catalog.Source) { s.Countries[1].Code = "AT" }, `country "AT": listed twice`},
		{"a country code is not alpha-2", func(s *catalog.Source) { s.Countries[0].Code = "AUT" }, `country "AUT": the code must be two upper-case letters`},
		{"a country's language is unknown", func(s *catalog.Source) { s.Countries[0].Languages = []string{"de", "hu"} }, `country "AT": official language "hu" is not a supported language`},
		{"a country has no language", func(s *catalog.Source) { s.Countries[0].Languages = nil }, `country "AT": needs at least one official language`},
		{"a country name lacks English", func(s *catalog.Source) { delete(s.Countries[0].Name, "en") }, `country "AT" name: the English text is missing`},
		{"a text is in an unknown language", func(s *catalog.Source) { s.Countries[0].Name["gr"] = "Αυστρία" }, `country "AT" name: "gr" is not a supported language`},
		{"a translation is blank", func(s *catalog.Source) { s.Countries[0].Name["de"] = " " }, `the "de" text is blank`},
		{"an area code is used twice", func(s *catalog.Source) { s.Areas = append(s.Areas, s.Areas[0]) }, `area "test-area": defined twice`},
		{"an area code is not a slug", func(s *catalog.Source) { area(s).Code = "Test Area" }, `area "Test Area": the code must be lower-case words`},
		{"an area name lacks English", func(s *catalog.Source) { area(s).Name = catalog.Text{"de": "Testgebiet"} }, `area "test-area" name: the English text is missing`},
		{"a legal basis lacks English", func(s *catalog.Source) { area(s).LegalBasis = nil }, `area "test-area" legal basis: the English text is missing`},
		{"an area has too few questions", func(s *catalog.Source) { area(s).Questions = area(s).Questions[:11] }, `has 11 questions, needs at least 12`},
		{"a question code is used twice", func(s *catalog.Source) { area(s).Questions[2].Code = "question-1" }, `question "question-1": the code is used twice`},
		{"a question lacks English", func(s *catalog.Source) { area(s).Questions[1].Text = catalog.Text{"de": "Frage?"} }, `question "question-1" text: the English text is missing`},
		{"an answer type is unknown", func(s *catalog.Source) { area(s).Questions[1].Type = "number" }, `unknown answer type "number"`},
		{"a choice question has no options", func(s *catalog.Source) { area(s).Questions[0].Options = nil }, `a choice question needs at least two options, has 0`},
		{"a choice question has one option", func(s *catalog.Source) { area(s).Questions[0].Options = area(s).Questions[0].Options[:1] }, `needs at least two options, has 1`},
		{"an option code is used twice", func(s *catalog.Source) { area(s).Questions[0].Options[1].Code = "low" }, `option "low": the code is used twice`},
		{"an option label lacks English", func(s *catalog.Source) { area(s).Questions[0].Options[1].Label = catalog.Text{"de": "Hoch"} }, `option "high" label: the English text is missing`},
		{"a yes/no question has options", func(s *catalog.Source) {
			area(s).Questions[1].Options = []catalog.Option{{Code: "maybe", Label: catalog.Text{"en": "Maybe"}}}
		}, `only choice questions have options`},
		{"an area has no competences", func(s *catalog.Source) { area(s).Competences = nil }, `has no competences`},
		{"a competence code is used twice", func(s *catalog.Source) {
			area(s).Competences = append(area(s).Competences, area(s).Competences[0])
		}, `competence "doctor": the code is used twice`},
		{"a competence label lacks English", func(s *catalog.Source) { area(s).Competences[0].Label = catalog.Text{"de": "Arzt"} }, `competence "doctor" label: the English text is missing`},
		{"keywords are in an unknown language", func(s *catalog.Source) { area(s).Competences[0].Keywords["xx"] = []string{"x"} }, `keywords in "xx"`},
		{"a keyword is blank", func(s *catalog.Source) { area(s).Competences[0].Keywords["de"] = []string{""} }, `an empty keyword in "de"`},
		{"blocking is immediate", func(s *catalog.Source) { area(s).Retention.BlockAfterMonths = 0 }, `block_after_months 0 must be between 1 and 18`},
		{"blocking comes after 18 months", func(s *catalog.Source) { area(s).Retention.BlockAfterMonths = 19 }, `block_after_months 19 must be between 1 and 18`},
		{"deletion comes before blocking", func(s *catalog.Source) { area(s).Retention.DeleteAfterMonths = 6 }, `delete_after_months 6 must come after blocking (6)`},
		{"deletion comes after three years", func(s *catalog.Source) { area(s).Retention.DeleteAfterMonths = 37 }, `delete_after_months 37 must come after blocking (6) and by month 36`},
		{"acceptance escalates on day 0", func(s *catalog.Source) { area(s).Deadlines.Acceptance.EscalateDay = 0 }, `escalate_day 0 must be between 1 and 90`},
		{"an acceptance reminder follows the escalation", func(s *catalog.Source) { area(s).Deadlines.Acceptance.ReminderDays = []int{3, 8} }, `acceptance reminder on day 8 must fall between day 1 and the escalation on day 7`},
		{"acceptance reminders are out of order", func(s *catalog.Source) { area(s).Deadlines.Acceptance.ReminderDays = []int{6, 3} }, `acceptance reminder_days [6 3] must be in increasing order`},
		{"a reply reminder is after the date", func(s *catalog.Source) { area(s).Deadlines.Reply.ReminderDaysBefore = []int{3, -1} }, `reply reminder -1 days before the agreed date must be between 0 and 90`},
		{"reply reminders are out of order", func(s *catalog.Source) { area(s).Deadlines.Reply.ReminderDaysBefore = []int{0, 3} }, `reply reminder_days_before [0 3] must count down`},
		{"the reply escalation is on the agreed date", func(s *catalog.Source) { area(s).Deadlines.Reply.EscalateDaysAfter = 0 }, `reply escalate_days_after 0 must be between 1 and 90`},
		{"both coordinators hear before the responding one", func(s *catalog.Source) { area(s).Deadlines.Reply.EscalateBothDaysAfter = 2 }, `escalate_both_days_after 2 must come after escalate_days_after 3`},
		{"a deadline is a typo", func(s *catalog.Source) { area(s).Deadlines.Reply.EscalateBothDaysAfter = 300 }, `escalate_both_days_after 300 must come after escalate_days_after 3 and by day 90`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := validSource()
			tc.mutate(&src)
			c, err := catalog.New(src)
			if err == nil {
				t.Fatalf("accepted: got a catalog with %d areas", len(c.Areas()))
			}
			var invalid *catalog.InvalidError
			if !errors.As(err, &invalid) {
				t.Fatalf("error %T %v is not an InvalidError", err, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not say %q", err, tc.want)
			}
		})
	}
}

func TestNew_ReportsEveryProblemAtOnce(t *testing.T) {
	src := validSource()
	src.Countries[0].Name = nil
	src.Areas[0].Retention.BlockAfterMonths = 40
	_, err := catalog.New(src)
	var invalid *catalog.InvalidError
	if !errors.As(err, &invalid) || len(invalid.Problems) < 2 {
		t.Fatalf("error %v: want both problems listed", err)
	}
}

const (
	minimalLanguages = "- {code: en, name: English, autonym: English}\n- {code: \"no\", name: Norwegian, autonym: norsk}\n"
	minimalCountries = "- code: \"NO\"\n  languages: [\"no\"]\n  name: {en: Norway, \"no\": Norge}\n"
)

func minimalArea(code string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "code: %s\nname: {en: Test}\nlegal_basis: {en: Act}\n", code)
	b.WriteString("deadlines:\n  acceptance: {reminder_days: [3, 6], escalate_day: 7}\n")
	b.WriteString("  reply: {reminder_days_before: [3, 0], escalate_days_after: 3, escalate_both_days_after: 10}\n")
	b.WriteString("retention: {block_after_months: 6, delete_after_months: 36}\nquestions:\n")
	for i := range catalog.MinQuestionsPerArea {
		fmt.Fprintf(&b, "  - {code: q-%d, type: date, personal_data: false, text: {en: \"When?\"}}\n", i)
	}
	b.WriteString("competences:\n  - {code: c, label: {en: C}, keywords: {\"no\": [lege]}}\n")
	return b.String()
}

func TestLoadFS_ReadsTheFileLayout(t *testing.T) {
	c, err := catalog.LoadFS(fstest.MapFS{
		"languages.yaml":  {Data: []byte(minimalLanguages)},
		"countries.yaml":  {Data: []byte(minimalCountries)},
		"areas/test.yaml": {Data: []byte(minimalArea("test"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Area("test"); !ok {
		t.Error("the area file was not read")
	}
	if no, ok := c.Country("NO"); !ok || no.Name["no"] != "Norge" || no.Languages[0] != "no" {
		t.Errorf("Norway = %+v, %v; want its code, language and name kept as strings", no, ok)
	}
}

func TestLoadFS_RefusesFilesATranslatorGotWrong(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"a misspelt key", fstest.MapFS{
			"languages.yaml": {Data: []byte(minimalLanguages)},
			"countries.yaml": {Data: []byte("- code: \"NO\"\n  languages: [\"no\"]\n  nmae: {en: Norway}\n")},
		}, "countries.yaml"},
		{"an area file named after another code", fstest.MapFS{
			"languages.yaml":   {Data: []byte(minimalLanguages)},
			"countries.yaml":   {Data: []byte(minimalCountries)},
			"areas/other.yaml": {Data: []byte(minimalArea("test"))},
		}, "areas/other.yaml holds area \"test\" and should be named test.yaml"},
		{"an empty file", fstest.MapFS{
			"languages.yaml": {Data: []byte(minimalLanguages)},
			"countries.yaml": {Data: []byte("")},
		}, "countries.yaml is empty"},
		{"a missing file", fstest.MapFS{
			"countries.yaml": {Data: []byte(minimalCountries)},
		}, "languages.yaml"},
		{"broken YAML", fstest.MapFS{
			"languages.yaml": {Data: []byte("- {code: en, name: English")},
			"countries.yaml": {Data: []byte(minimalCountries)},
		}, "languages.yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := catalog.LoadFS(tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one naming %q", err, tc.want)
			}
		})
	}
}
