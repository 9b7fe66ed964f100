package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

// Why personal data are not shown.
const (
	personalShown         = "shown"
	personalUntilAccepted = "redacted_until_accepted"
	personalBlocked       = "blocked"
	personalDeleted       = "deleted"
	personalNeedsReason   = "reason_required"
	personalNeedsRole     = "role_required"
)

// personalStatus says whether the caller may see the request's personal
// data: the requesting side's officials of the area always, the responding
// side's once their authority has accepted (a withdrawal before that, or a
// forward, leaves it out), a coordinator with a reason, nobody once they
// are blocked (SPEC §4).
func personalStatus(r models.Request, pt party) string {
	switch {
	case r.PersonalDeletedAt != nil:
		return personalDeleted
	case r.PersonalBlockedAt != nil:
		return personalBlocked
	case pt.side == workflows.Responding && (r.AcceptedBy == nil || *r.AcceptedBy != pt.authority):
		return personalUntilAccepted
	case pt.side == coordinating && len([]rune(pt.reason)) < minReasonLength:
		return personalNeedsReason
	case pt.side != coordinating && !pt.handler && !pt.allocator:
		return personalNeedsRole
	}
	return personalShown
}

type questionView struct {
	Code       string     `json:"code"`
	Text       string     `json:"text"`
	Lang       string     `json:"lang"`
	Fallback   bool       `json:"fallback"`
	AnswerType string     `json:"answer_type"`
	Personal   bool       `json:"personal"`
	Options    []option   `json:"options,omitempty"`
	Answer     *answerOut `json:"answer,omitempty"`
}

type option struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

type answerOut struct {
	Value      *string   `json:"value"`
	Redacted   bool      `json:"redacted,omitempty"`
	AnsweredAt time.Time `json:"answered_at"`
}

type textView struct {
	Text     *string `json:"text"`
	Lang     string  `json:"lang,omitempty"`
	Redacted bool    `json:"redacted,omitempty"`
}

type messageView struct {
	Kind      string     `json:"kind"`
	Authority *uuid.UUID `json:"authority,omitempty"`
	Actor     *uuid.UUID `json:"actor,omitempty"`
	textView
	At time.Time `json:"at"`
}

type requestView struct {
	ID                  uuid.UUID          `json:"id"`
	Reference           string             `json:"reference"`
	Area                string             `json:"area"`
	State               string             `json:"state"`
	Subject             string             `json:"subject"`
	SubjectLang         string             `json:"subject_lang"`
	RequestingAuthority uuid.UUID          `json:"requesting_authority"`
	RespondingAuthority uuid.UUID          `json:"responding_authority"`
	AssignedHandler     *uuid.UUID         `json:"assigned_handler,omitempty"`
	NeededBy            string             `json:"needed_by"`
	SentAt              *time.Time         `json:"sent_at,omitempty"`
	ReplyDueDate        string             `json:"reply_due_date,omitempty"`
	ReplyDueAt          *time.Time         `json:"reply_due_at,omitempty"`
	ProposedReplyDate   string             `json:"proposed_reply_date,omitempty"`
	Overdue             bool               `json:"overdue"`
	EscalatedAt         *time.Time         `json:"escalated_at,omitempty"`
	ClosedAt            *time.Time         `json:"closed_at,omitempty"`
	Lang                string             `json:"lang"`
	Questions           []questionView     `json:"questions"`
	FreeText            textView           `json:"free_text"`
	PersonalData        map[string]string  `json:"personal_data"`
	PersonalDataStatus  string             `json:"personal_data_status"`
	Messages            []messageView      `json:"messages"`
	Attachments         []attachmentView   `json:"attachments"`
	AllowedActions      []workflows.Action `json:"allowed_actions"`
	// AllowedInterventions are what a coordinator of the request may do.
	AllowedInterventions []workflows.Action `json:"allowed_interventions,omitempty"`
}

// messageKinds are the events whose text the parties write to each other.
var messageKinds = map[string]bool{
	"message": true, "request-clarification": true, "clarify": true, "refer": true, "forward": true, "withdraw": true, "answer": true,
	// The coordinators' reasons and notes, which the parties read too.
	"coordinator-forward": true, "coordinator-accept": true, "chase": true, "coordinator-note": true, "return": true, "coordinator-close": true,
}

func dayAfter(from time.Time, days int) string {
	f := from.UTC()
	return time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, days).Format(dateLayout)
}

// requestViewOf builds what the caller sees of a request; it reports
// whether personal data were shown, so that the read is logged.
func (h *handlers) requestViewOf(ctx context.Context, r models.Request, pt party, lang string) (requestView, bool, error) {
	status := personalStatus(r, pt)
	show := status == personalShown
	v := requestView{
		ID: r.ID, Reference: r.Reference, Area: r.AreaCode, State: r.State, Subject: r.Subject, SubjectLang: r.SubjectLang,
		RequestingAuthority: r.RequestingAuthority, RespondingAuthority: r.RespondingAuthority, AssignedHandler: r.AssignedHandler,
		NeededBy: r.NeededBy.Format(dateLayout), SentAt: r.SentAt, ReplyDueAt: r.ReplyDue, Overdue: r.Overdue,
		EscalatedAt: r.EscalatedAt, ClosedAt: r.ClosedAt, Lang: lang, PersonalDataStatus: status,
		Questions: []questionView{}, Messages: []messageView{}, Attachments: []attachmentView{}, AllowedActions: []workflows.Action{},
	}
	if r.SentAt != nil && r.ReplyDueDays != nil {
		v.ReplyDueDate = dayAfter(*r.SentAt, *r.ReplyDueDays)
	}
	if r.SentAt != nil && r.ProposedDueDays != nil {
		v.ProposedReplyDate = dayAfter(*r.SentAt, *r.ProposedDueDays)
	}
	if r.State != models.Draft && pt.side == coordinating {
		v.AllowedInterventions = workflows.AllowedInterventions(workflows.RequestState(r.State), pt.coordinatesRequesting, pt.coordinatesResponding)
	}
	if r.State != models.Draft {
		proposal := r.ProposedDueDays != nil && pt.side == workflows.Requesting
		v.AllowedActions = append(v.AllowedActions, workflows.AllowedActions(workflows.RequestState(r.State), pt.side, pt.handler, pt.allocator, proposal)...)
	}
	shown := false
	if show {
		personal, err := h.store.PersonalData(ctx, r.ID)
		if err != nil {
			return requestView{}, false, err
		}
		v.PersonalData = personal
		shown = len(personal) > 0
	}
	if r.FreeText != "" {
		v.FreeText = textView{Lang: r.FreeTextLang, Redacted: !show}
		if show {
			v.FreeText.Text = &r.FreeText
			shown = true
		}
	}
	answers, err := h.store.Answers(ctx, r.ID)
	if err != nil {
		return requestView{}, false, err
	}
	area, _ := h.ref.cat.Area(r.AreaCode)
	for _, code := range r.Questions {
		q, ok := area.Question(code)
		if !ok {
			continue
		}
		text, used, fallback := q.Text.In(lang)
		qv := questionView{Code: code, Text: text, Lang: used, Fallback: fallback, AnswerType: string(q.Type), Personal: q.PersonalData}
		for _, o := range q.Options {
			label, _, _ := o.Label.In(lang)
			qv.Options = append(qv.Options, option{Code: o.Code, Label: label})
		}
		if a, ok := answers[code]; ok {
			qv.Answer = &answerOut{AnsweredAt: a.AnsweredAt.UTC()}
			if a.Personal && !show {
				qv.Answer.Redacted = true
			} else {
				value := a.Value
				qv.Answer.Value = &value
				shown = shown || a.Personal
			}
		}
		v.Questions = append(v.Questions, qv)
	}
	events, err := h.store.RequestTimeline(ctx, r.ID)
	if err != nil {
		return requestView{}, false, err
	}
	for _, e := range events {
		if !messageKinds[e.Kind] || e.Text == "" {
			continue
		}
		m := messageView{Kind: e.Kind, Authority: e.Authority, Actor: e.ActorUser, At: e.At.UTC(), textView: textView{Lang: e.TextLang}}
		if e.Personal && !show {
			m.Redacted = true
		} else {
			text := e.Text
			m.Text = &text
			shown = shown || e.Personal
		}
		v.Messages = append(v.Messages, m)
	}
	if attachmentsVisible(r, pt) {
		files, err := h.store.Attachments(ctx, r.ID)
		if err != nil {
			return requestView{}, false, err
		}
		for _, f := range files {
			if !f.Personal || show {
				v.Attachments = append(v.Attachments, attachmentViewOf(f))
			}
		}
	}
	return v, shown, nil
}

// respondRequest answers with the caller's view of a request, logging the
// read when it shows personal data. A zero party is worked out afresh, as
// after the caller's own action.
func (h *handlers) respondRequest(c *gin.Context, r models.Request, status int, pt party) {
	p := principal(c)
	if pt.side == "" {
		var ok bool
		if pt, ok = partyOf(p, r); !ok {
			deny(c, policy.NotFound, "the request")
			return
		}
	}
	v, shown, err := h.requestViewOf(c.Request.Context(), r, pt, h.language(c))
	if err != nil {
		h.internalError(c, err)
		return
	}
	if shown {
		if err := h.store.LogPersonalDataAccess(c.Request.Context(), models.AccessLogEntry{
			RequestID: r.ID, UserID: p.UserID, AuthorityID: &p.Body.ID,
			What: c.Request.Method + " " + c.FullPath(), Reason: accessReason(pt),
		}); err != nil {
			h.internalError(c, err)
			return
		}
	}
	c.JSON(status, v)
}

// accessReason is what the access log records as the reason for a read.
func accessReason(pt party) string {
	if pt.side == coordinating {
		return "coordinator: " + pt.reason
	}
	return "party to the request (" + string(pt.side) + ")"
}

// respondFresh reloads a request after an action and answers with it.
func (h *handlers) respondFresh(c *gin.Context, id uuid.UUID) {
	r, err := h.store.Request(c.Request.Context(), id)
	if err != nil {
		h.internalError(c, err)
		return
	}
	h.respondRequest(c, r, http.StatusOK, party{})
}

func (h *handlers) getRequest(c *gin.Context) {
	r, pt, ok := h.loadRequest(c)
	if !ok {
		return
	}
	h.respondRequest(c, r, http.StatusOK, pt)
}
