package cases

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/workflows"
)

// BenchmarkRequestView_JSON measures what every action and every read of a
// request pays after the database: the questions put in the reader's
// language from the catalog, and the view encoded as JSON. The request is a
// large one: every question of the services area, answered, with the
// answer's text, a clarification and its reply.
func BenchmarkRequestView_JSON(b *testing.B) {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	area, ok := cat.Area("services")
	if !ok {
		b.Fatal("no services area")
	}
	codes := make([]string, 0, len(area.Questions))
	for _, q := range area.Questions {
		codes = append(codes, q.Code)
	}
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	authority := uuid.New()
	text := "Firma jest wpisana do Krajowego Rejestru Sądowego od 2 maja 2019 r. i nie ma wobec niej sankcji."
	size := 0
	for b.Loop() {
		v := RequestView{
			ID: uuid.New(), Reference: "IMI-2026-000123", Area: "services", State: "CLOSED",
			Subject: "Bauunternehmen Kowalski Sp. z o.o.", SubjectLang: "de",
			RequestingAuthority: authority, RespondingAuthority: authority, NeededBy: "2026-12-17",
			SentAt: &now, ReplyDueDate: "2026-12-17", ReplyDueAt: &now, ClosedAt: &now, Lang: "pl",
			PersonalData:       map[string]string{"name": "Jan Kowalski", "date_of_birth": "1975-03-14"},
			PersonalDataStatus: PersonalShown,
			FreeText:           TextView{Text: &text, Lang: "de"},
			Attachments:        []AttachmentView{}, AllowedActions: []workflows.Action{},
		}
		for _, code := range codes {
			q, _ := area.Question(code)
			t, used, fallback := q.Text.In("pl")
			qv := QuestionView{Code: code, Text: t, Lang: used, Fallback: fallback, AnswerType: string(q.Type), Personal: q.PersonalData}
			for _, o := range q.Options {
				label, _, _ := o.Label.In("pl")
				qv.Options = append(qv.Options, OptionView{Code: o.Code, Label: label})
			}
			value := "yes"
			qv.Answer = &AnswerOutput{Value: &value, AnsweredAt: now}
			v.Questions = append(v.Questions, qv)
		}
		for _, kind := range []string{"answer", "request-clarification", "clarify"} {
			v.Messages = append(v.Messages, MessageView{Kind: kind, Authority: &authority, Actor: &authority, At: now, TextView: TextView{Text: &text, Lang: "pl"}})
		}
		data, err := json.Marshal(v)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "bytes/view")
}
