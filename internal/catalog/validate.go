package catalog

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/text/language"
)

// The bounds the data must keep. Retention comes from the IMI Regulation
// (EU) No 1024/2012, Art. 14: personal data are blocked at the latest 6
// months after closure, or up to 18 where an area's act allows it, and
// deleted 3 years after closure. The deadline bounds only catch typos: a
// reminder on day 300 is a slip of the keyboard, not a policy.
const (
	MinQuestionsPerArea  = 12
	maxBlockAfterMonths  = 18
	maxDeleteAfterMonths = 36
	maxDeadlineDays      = 90
)

var (
	languageCode = regexp.MustCompile(`^[a-z]{2}$`)
	countryCode  = regexp.MustCompile(`^[A-Z]{2}$`)
	// Codes are stored in requests and URLs: lower-case words joined by hyphens.
	itemCode = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// InvalidError lists everything wrong with a set of reference data.
type InvalidError struct {
	Problems []string
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%d problem(s): %s", len(e.Problems), strings.Join(e.Problems, "; "))
}

type validator struct {
	problems  []string
	languages map[string]bool
	regional  map[string]bool
}

func (v *validator) addf(format string, args ...any) {
	v.problems = append(v.problems, fmt.Sprintf(format, args...))
}

func validate(src Source) error {
	v := &validator{languages: map[string]bool{}, regional: map[string]bool{}}
	v.checkLanguages(src.Languages)
	v.checkCountries(src.Countries)
	v.checkAreas(src.Areas)
	if len(v.problems) > 0 {
		return &InvalidError{Problems: v.problems}
	}
	return nil
}

func (v *validator) checkLanguages(langs []Language) {
	for _, l := range langs {
		where := fmt.Sprintf("language %q", l.Code)
		switch {
		case !languageCode.MatchString(l.Code):
			v.addf("%s: the code must be two lower-case letters (ISO 639-1)", where)
			continue
		case v.languages[l.Code] || v.regional[l.Code]:
			v.addf("%s: listed twice", where)
			continue
		case l.Regional && l.Code == English:
			v.addf("%s: English is supported, not regional", where)
			continue
		}
		if _, err := language.Parse(l.Code); err != nil {
			v.addf("%s: not an ISO 639-1 code: %v", where, err)
			continue
		}
		// A regional language names authorities only: texts and
		// countries' official languages stay among the supported ones.
		if l.Regional {
			v.regional[l.Code] = true
		} else {
			v.languages[l.Code] = true
		}
		if strings.TrimSpace(l.Name) == "" || strings.TrimSpace(l.Autonym) == "" {
			v.addf("%s: needs a name and an autonym", where)
		}
	}
	if !v.languages[English] {
		v.addf("languages: English (%q) must be supported: every text falls back to it", English)
	}
}

func (v *validator) checkCountries(countries []Country) {
	seen := map[string]bool{}
	for _, c := range countries {
		where := fmt.Sprintf("country %q", c.Code)
		if !countryCode.MatchString(c.Code) {
			v.addf("%s: the code must be two upper-case letters (ISO 3166-1 alpha-2)", where)
		}
		if seen[c.Code] {
			v.addf("%s: listed twice", where)
		}
		seen[c.Code] = true
		v.checkText(where+" name", c.Name)
		if len(c.Languages) == 0 {
			v.addf("%s: needs at least one official language", where)
		}
		for i, l := range c.Languages {
			if !v.languages[l] {
				v.addf("%s: official language %q is not a supported language", where, l)
			}
			if slices.Index(c.Languages, l) != i {
				v.addf("%s: official language %q listed twice", where, l)
			}
		}
	}
}

func (v *validator) checkAreas(areas []Area) {
	seen := map[string]bool{}
	for _, a := range areas {
		where := fmt.Sprintf("area %q", a.Code)
		if !itemCode.MatchString(a.Code) {
			v.addf("%s: the code must be lower-case words joined by hyphens", where)
		}
		if seen[a.Code] {
			v.addf("%s: defined twice", where)
		}
		seen[a.Code] = true
		v.checkText(where+" name", a.Name)
		v.checkText(where+" legal basis", a.LegalBasis)
		v.checkDeadlines(where, a.Deadlines)
		v.checkRetention(where, a.Retention)
		v.checkQuestions(where, a.Questions)
		v.checkCompetences(where, a.Competences)
	}
}

func (v *validator) checkQuestions(area string, questions []Question) {
	if len(questions) < MinQuestionsPerArea {
		v.addf("%s: has %d questions, needs at least %d", area, len(questions), MinQuestionsPerArea)
	}
	seen := map[string]bool{}
	for _, q := range questions {
		where := fmt.Sprintf("%s question %q", area, q.Code)
		v.checkCode(where, q.Code, seen)
		v.checkText(where+" text", q.Text)
		if !q.Type.Valid() {
			v.addf("%s: unknown answer type %q (want %s, %s, %s or %s)", where, q.Type, AnswerYesNo, AnswerChoice, AnswerDate, AnswerFreeText)
		}
		if q.Type != AnswerChoice {
			if len(q.Options) > 0 {
				v.addf("%s: only choice questions have options, this one is %s", where, q.Type)
			}
			continue
		}
		if len(q.Options) < 2 {
			v.addf("%s: a choice question needs at least two options, has %d", where, len(q.Options))
		}
		options := map[string]bool{}
		for _, o := range q.Options {
			owhere := fmt.Sprintf("%s option %q", where, o.Code)
			v.checkCode(owhere, o.Code, options)
			v.checkText(owhere+" label", o.Label)
		}
	}
}

func (v *validator) checkCompetences(area string, competences []Competence) {
	if len(competences) == 0 {
		v.addf("%s: has no competences: no authority could declare itself competent", area)
	}
	seen := map[string]bool{}
	for _, c := range competences {
		where := fmt.Sprintf("%s competence %q", area, c.Code)
		v.checkCode(where, c.Code, seen)
		v.checkText(where+" label", c.Label)
		for _, lang := range slices.Sorted(maps.Keys(c.Keywords)) {
			words := c.Keywords[lang]
			if !v.languages[lang] {
				v.addf("%s: keywords in %q, which is not a supported language", where, lang)
			}
			for _, w := range words {
				if strings.TrimSpace(w) == "" {
					v.addf("%s: an empty keyword in %q", where, lang)
				}
			}
		}
	}
}

func (v *validator) checkCode(where, code string, seen map[string]bool) {
	if !itemCode.MatchString(code) {
		v.addf("%s: the code must be lower-case words joined by hyphens", where)
	}
	if seen[code] {
		v.addf("%s: the code is used twice", where)
	}
	seen[code] = true
}

// checkText requires English, whose absence would leave a fallback with
// nothing to show, and refuses unknown languages and blank translations:
// "gr" for Greek or an empty string would silently hide a translation.
func (v *validator) checkText(where string, t Text) {
	if strings.TrimSpace(t[English]) == "" {
		v.addf("%s: the English text is missing", where)
	}
	for _, lang := range slices.Sorted(maps.Keys(t)) {
		s := t[lang]
		if !v.languages[lang] {
			v.addf("%s: %q is not a supported language", where, lang)
		}
		if strings.TrimSpace(s) == "" && lang != English {
			v.addf("%s: the %q text is blank; leave it out to fall back to English", where, lang)
		}
	}
}

func (v *validator) checkDeadlines(area string, d Deadlines) {
	acc := d.Acceptance
	if acc.EscalateDay < 1 || acc.EscalateDay > maxDeadlineDays {
		v.addf("%s: acceptance escalate_day %d must be between 1 and %d", area, acc.EscalateDay, maxDeadlineDays)
	}
	for i, day := range acc.ReminderDays {
		switch {
		case day < 1 || day >= acc.EscalateDay:
			v.addf("%s: acceptance reminder on day %d must fall between day 1 and the escalation on day %d", area, day, acc.EscalateDay)
		case i > 0 && day <= acc.ReminderDays[i-1]:
			v.addf("%s: acceptance reminder_days %v must be in increasing order", area, acc.ReminderDays)
		}
	}
	rep := d.Reply
	for i, before := range rep.ReminderDaysBefore {
		switch {
		case before < 0 || before > maxDeadlineDays:
			v.addf("%s: reply reminder %d days before the agreed date must be between 0 and %d", area, before, maxDeadlineDays)
		case i > 0 && before >= rep.ReminderDaysBefore[i-1]:
			v.addf("%s: reply reminder_days_before %v must count down towards the agreed date", area, rep.ReminderDaysBefore)
		}
	}
	if rep.EscalateDaysAfter < 1 || rep.EscalateDaysAfter > maxDeadlineDays {
		v.addf("%s: reply escalate_days_after %d must be between 1 and %d", area, rep.EscalateDaysAfter, maxDeadlineDays)
	}
	if rep.EscalateBothDaysAfter <= rep.EscalateDaysAfter || rep.EscalateBothDaysAfter > maxDeadlineDays {
		v.addf("%s: reply escalate_both_days_after %d must come after escalate_days_after %d and by day %d",
			area, rep.EscalateBothDaysAfter, rep.EscalateDaysAfter, maxDeadlineDays)
	}
}

func (v *validator) checkRetention(area string, r Retention) {
	if r.BlockAfterMonths < 1 || r.BlockAfterMonths > maxBlockAfterMonths {
		v.addf("%s: retention block_after_months %d must be between 1 and %d", area, r.BlockAfterMonths, maxBlockAfterMonths)
	}
	if r.DeleteAfterMonths <= r.BlockAfterMonths || r.DeleteAfterMonths > maxDeleteAfterMonths {
		v.addf("%s: retention delete_after_months %d must come after blocking (%d) and by month %d",
			area, r.DeleteAfterMonths, r.BlockAfterMonths, maxDeleteAfterMonths)
	}
}
