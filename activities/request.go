package activities

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/openimi/openimi/models"
)

// DeadlineKind names what a request's workflow does on its own when a
// deadline passes.
type DeadlineKind string

// The deadlines of a request (SPEC §3, §4).
const (
	AcceptanceReminder   DeadlineKind = "acceptance_reminder"
	AcceptanceEscalation DeadlineKind = "acceptance_escalation"
	ReplyReminder        DeadlineKind = "reply_reminder"
	ReplyOverdue         DeadlineKind = "reply_overdue"
	ReplyEscalation      DeadlineKind = "reply_escalation"
	ReplyEscalationBoth  DeadlineKind = "reply_escalation_both"
	PersonalDataBlocked  DeadlineKind = "personal_data_blocked"
	PersonalDataDeleted  DeadlineKind = "personal_data_deleted"
)

// QuestionAnswer answers one question of a request; Personal says the
// question asks for personal data.
type QuestionAnswer struct {
	Question string
	Value    string
	Personal bool `json:",omitempty"`
}

// RequestEventCommand is what an official's action carried.
type RequestEventCommand struct {
	ProposedDueDays  int              `json:",omitempty"`
	ForwardTo        uuid.UUID        `json:",omitempty"`
	Handler          uuid.UUID        `json:",omitempty"`
	ReturnTo         string           `json:",omitempty"`
	Text             string           `json:",omitempty"`
	TextLang         string           `json:",omitempty"`
	Answers          []QuestionAnswer `json:",omitempty"`
	TimelinessRating int              `json:",omitempty"`
	EffortRating     int              `json:",omitempty"`
}

// RequestSnapshot is the request as the read model shows it after an event.
type RequestSnapshot struct {
	State               string
	RespondingAuthority uuid.UUID
	AcceptedBy          uuid.UUID
	AssignedHandler     uuid.UUID
	ReplyDue            time.Time
	ReplyDueDays        int
	ProposedDueDays     int
	// ProposedDue is the proposed reply date's moment, when there is one.
	ProposedDue         time.Time
	AcceptanceClockFrom time.Time
	Overdue             bool
	EscalatedAt         time.Time
	ClosedAt            time.Time
	PersonalBlocked     bool
	PersonalDeleted     bool
}

// RequestEvent is one entry of a request's timeline, with the state it
// leaves the request in.
type RequestEvent struct {
	RequestID uuid.UUID
	// Key is unique per event and stable across retries and replays.
	Key       string
	Kind      string
	At        time.Time
	ActorUser uuid.UUID `json:",omitempty"`
	// ActorAuthority is the authority ActorUser acted for. Events recorded
	// before it was carried lack it, and it is then looked up.
	ActorAuthority uuid.UUID           `json:",omitempty"`
	Days           int                 `json:",omitempty"`
	Command        RequestEventCommand `json:",omitempty"`
	After          RequestSnapshot
}

// personalTextKinds are the events whose free text may name the data
// subject, and is therefore redacted, blocked and deleted like personal
// data.
var personalTextKinds = map[string]bool{
	"answer": true, "clarify": true, "request-clarification": true, "message": true, "refer": true,
	"withdraw": true, "forward": true,
	// A coordinator's reason or note may name the data subject too.
	"coordinator-forward": true, "coordinator-accept": true, "chase": true, "coordinator-note": true,
	"return": true, "coordinator-close": true,
}

// RecordRequestEvent writes an event of a request and the state it leaves
// the request in; a retried call writes nothing twice. An error retrying
// cannot cure (a value the database refuses, an unknown request, a mail
// that must not go out) is non-retryable, of a type of errors.go.
func (a *Activities) RecordRequestEvent(ctx context.Context, ev RequestEvent) error {
	rec := models.RequestEventRecord{
		RequestID: ev.RequestID, Key: ev.Key, Kind: ev.Kind, At: ev.At,
		Text: ev.Command.Text, TextLang: ev.Command.TextLang, Personal: personalTextKinds[ev.Kind],
		State:               ev.After.State,
		RespondingAuthority: ev.After.RespondingAuthority,
		ReplyDue:            ev.After.ReplyDue,
		ReplyDueDays:        ev.After.ReplyDueDays,
		ProposedDueDays:     ev.After.ProposedDueDays,
		AcceptanceClockFrom: ev.After.AcceptanceClockFrom,
		Overdue:             ev.After.Overdue,
		EscalatedAt:         timeOrNil(ev.After.EscalatedAt),
		ClosedAt:            timeOrNil(ev.After.ClosedAt),
		TimelinessRating:    ev.Command.TimelinessRating,
		EffortRating:        ev.Command.EffortRating,
		BlockPersonalData:   ev.After.PersonalBlocked,
		DeletePersonalData:  ev.Kind == string(PersonalDataDeleted),
		Details:             eventDetails(ev),
	}
	if ev.After.AssignedHandler != uuid.Nil {
		rec.AssignedHandler = &ev.After.AssignedHandler
	}
	if ev.After.AcceptedBy != uuid.Nil {
		rec.AcceptedBy = &ev.After.AcceptedBy
	}
	if ev.ActorUser != uuid.Nil {
		rec.ActorUser = &ev.ActorUser
		if ev.ActorAuthority != uuid.Nil {
			rec.Authority = &ev.ActorAuthority
		} else {
			authority, err := a.Store.AuthorityOfUser(ctx, ev.ActorUser)
			if err != nil {
				return classify("actor of "+ev.Key, err)
			}
			rec.Authority = authority
		}
	}
	if len(ev.Command.Answers) > 0 {
		rec.Answers = make(map[string]models.AnswerValue, len(ev.Command.Answers))
		for _, ans := range ev.Command.Answers {
			rec.Answers[ans.Question] = models.AnswerValue{Value: ans.Value, Personal: ans.Personal}
		}
	}
	mails, err := a.requestMails(ctx, ev)
	if err != nil {
		return classify("mails of "+ev.Key, err)
	}
	enqueue := func(tx *gorm.DB) error { return models.EnqueueMail(tx, mails...) }
	if _, err := a.Store.RecordRequestEvent(ctx, rec, enqueue); err != nil {
		// A value PostgreSQL refuses (a NUL byte in a text, say) fails
		// every attempt alike: non-retryable, so that the workflow learns
		// of it at once instead of retrying until the retry policy ends.
		return classify("record "+ev.Key, err)
	}
	return nil
}

// eventDetails keeps what the timeline shows of an event besides its text.
func eventDetails(ev RequestEvent) map[string]any {
	d := map[string]any{}
	if ev.Days != 0 {
		d["days"] = ev.Days
	}
	if ev.Command.ForwardTo != uuid.Nil {
		d["forwarded_to"] = ev.Command.ForwardTo
	}
	if ev.Command.Handler != uuid.Nil {
		d["handler"] = ev.Command.Handler
	}
	if ev.Command.ReturnTo != "" {
		d["returned_to"] = ev.Command.ReturnTo
	}
	if ev.Command.ProposedDueDays != 0 {
		d["proposed_due_days"] = ev.Command.ProposedDueDays
	}
	if ev.Command.TimelinessRating != 0 {
		d["timeliness_rating"] = ev.Command.TimelinessRating
	}
	if ev.Command.EffortRating != 0 {
		d["effort_rating"] = ev.Command.EffortRating
	}
	return d
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
