package cases

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

// Why personal data are not shown (personal_data_status).
const (
	PersonalShown         = "shown"
	PersonalUntilAccepted = "redacted_until_accepted"
	PersonalBlocked       = "blocked"
	PersonalDeleted       = "deleted"
	PersonalNeedsReason   = "reason_required"
	PersonalNeedsRole     = "role_required"
)

// personalStatus says whether the caller may see the request's personal
// data: the requesting side's officials of the area always, the responding
// side's once their authority has accepted (a withdrawal before that, or a
// forward, leaves it out), a coordinator with a reason, nobody once they
// are blocked (SPEC §4).
func personalStatus(r models.Request, pt Party) string {
	switch {
	case r.PersonalDeletedAt != nil:
		return PersonalDeleted
	case r.PersonalBlockedAt != nil:
		return PersonalBlocked
	case pt.Side == workflows.Responding && (r.AcceptedBy == nil || *r.AcceptedBy != pt.Authority):
		return PersonalUntilAccepted
	case pt.Side == Coordinating && len([]rune(pt.Reason)) < minReasonLength:
		return PersonalNeedsReason
	case pt.Side != Coordinating && !pt.Handler && !pt.Allocator:
		return PersonalNeedsRole
	}
	return PersonalShown
}

// attachmentsVisible says whether the caller may see the request's files:
// the responding side sees none before it accepts (SPEC §4), and personal
// files follow the personal data's blocking.
func attachmentsVisible(r models.Request, pt Party) bool {
	return pt.Side != workflows.Responding || (r.AcceptedBy != nil && *r.AcceptedBy == pt.Authority)
}

// QuestionView is a question of the request in the reader's language, with
// its answer.
type QuestionView struct {
	Code       string        `json:"code"`
	Text       string        `json:"text"`
	Lang       string        `json:"lang"`
	Fallback   bool          `json:"fallback"`
	AnswerType string        `json:"answer_type"`
	Personal   bool          `json:"personal"`
	Options    []OptionView  `json:"options,omitempty"`
	Answer     *AnswerOutput `json:"answer,omitempty"`
}

// OptionView is one option of a choice question.
type OptionView struct {
	Code  string `json:"code"`
	Label string `json:"label"`
}

// AnswerOutput is an answer as the reader may see it.
type AnswerOutput struct {
	Value      *string   `json:"value"`
	Redacted   bool      `json:"redacted,omitempty"`
	AnsweredAt time.Time `json:"answered_at"`
}

// TextView is a free text, or the mark that it is withheld.
type TextView struct {
	Text     *string `json:"text"`
	Lang     string  `json:"lang,omitempty"`
	Redacted bool    `json:"redacted,omitempty"`
}

// MessageView is a text the parties or coordinators wrote on the request.
type MessageView struct {
	Kind      string     `json:"kind"`
	Authority *uuid.UUID `json:"authority,omitempty"`
	Actor     *uuid.UUID `json:"actor,omitempty"`
	TextView
	At time.Time `json:"at"`
}

// RequestView is what the caller sees of a request.
type RequestView struct {
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
	Questions           []QuestionView     `json:"questions"`
	FreeText            TextView           `json:"free_text"`
	PersonalData        map[string]string  `json:"personal_data"`
	PersonalDataStatus  string             `json:"personal_data_status"`
	Messages            []MessageView      `json:"messages"`
	Attachments         []AttachmentView   `json:"attachments"`
	AllowedActions      []workflows.Action `json:"allowed_actions"`
	// AllowedInterventions are what a coordinator of the request may do.
	AllowedInterventions []workflows.Action `json:"allowed_interventions,omitempty"`
	// Forwarded marks the answer to the caller's own forward: its
	// authority passed the request on and takes no part in it any more,
	// so only the request's frame is shown.
	Forwarded bool `json:"forwarded,omitempty"`
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

// personalText tells whether an event's text is the data subject's: every
// free text is, whatever its kind, since any may name them (an event
// recorded before the store marked them all is judged by its text).
func personalText(e models.RequestEventRow) bool { return e.Personal || e.Text != "" }

// frame is the part of a request's view every party sees.
func frame(r models.Request, day time.Duration) RequestView {
	v := RequestView{
		ID: r.ID, Reference: r.Reference, Area: r.AreaCode, State: r.State, Subject: r.Subject, SubjectLang: r.SubjectLang,
		RequestingAuthority: r.RequestingAuthority, RespondingAuthority: r.RespondingAuthority, AssignedHandler: r.AssignedHandler,
		NeededBy: r.NeededBy.Format(dateLayout), SentAt: r.SentAt, ReplyDueAt: r.ReplyDue, Overdue: r.OverdueAt(time.Now(), day),
		EscalatedAt: r.EscalatedAt, ClosedAt: r.ClosedAt,
		Questions: []QuestionView{}, Messages: []MessageView{}, Attachments: []AttachmentView{}, AllowedActions: []workflows.Action{},
	}
	if r.SentAt != nil && r.ReplyDueDays != nil {
		v.ReplyDueDate = dayAfter(*r.SentAt, *r.ReplyDueDays)
	}
	if r.SentAt != nil && r.ProposedDueDays != nil {
		v.ProposedReplyDate = dayAfter(*r.SentAt, *r.ProposedDueDays)
	}
	return v
}

// forwardedView is what a forwarding authority learns in answer to its
// forward: the frame, without the subject, which it no longer needs to
// know.
func forwardedView(r models.Request) RequestView {
	v := frame(r, 0)
	v.Subject, v.SubjectLang, v.Overdue = "", "", false
	v.PersonalDataStatus = PersonalUntilAccepted
	v.Forwarded = true
	return v
}

// viewOf builds what the caller sees of a request; it reports whether
// personal data were shown, so that the read is logged.
func (s *Service) viewOf(ctx context.Context, r models.Request, pt Party, lang string) (RequestView, bool, error) {
	status := personalStatus(r, pt)
	show := status == PersonalShown
	v := frame(r, s.settings.Day)
	v.Lang, v.PersonalDataStatus = lang, status
	switch {
	case r.State == models.Draft:
		if pt.Side == workflows.Requesting && pt.Handler {
			v.AllowedActions = append(v.AllowedActions, DraftEdit, DraftDelete, DraftSend)
		}
	case pt.Side == Coordinating:
		v.AllowedInterventions = workflows.AllowedInterventions(workflows.RequestState(r.State), pt.CoordinatesRequesting, pt.CoordinatesResponding)
	default:
		proposal := r.ProposedDueDays != nil && pt.Side == workflows.Requesting
		v.AllowedActions = append(v.AllowedActions, workflows.AllowedActions(workflows.RequestState(r.State), pt.Side, pt.Handler, pt.Allocator, proposal)...)
	}
	shown := false
	if show {
		personal, err := s.store.PersonalData(ctx, r.ID)
		if err != nil {
			return RequestView{}, false, err
		}
		v.PersonalData = personal
		shown = len(personal) > 0
	}
	if r.FreeText != "" {
		v.FreeText = TextView{Lang: r.FreeTextLang, Redacted: !show}
		if show {
			v.FreeText.Text = &r.FreeText
			shown = true
		}
	}
	answers, err := s.store.Answers(ctx, r.ID)
	if err != nil {
		return RequestView{}, false, err
	}
	area, _ := s.catalog.Area(r.AreaCode)
	for _, code := range r.Questions {
		q, ok := area.Question(code)
		if !ok {
			continue
		}
		text, used, fallback := q.Text.In(lang)
		qv := QuestionView{Code: code, Text: text, Lang: used, Fallback: fallback, AnswerType: string(q.Type), Personal: q.PersonalData}
		for _, o := range q.Options {
			label, _, _ := o.Label.In(lang)
			qv.Options = append(qv.Options, OptionView{Code: o.Code, Label: label})
		}
		if a, ok := answers[code]; ok {
			qv.Answer = &AnswerOutput{AnsweredAt: a.AnsweredAt.UTC()}
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
	events, err := s.store.RequestTimeline(ctx, r.ID)
	if err != nil {
		return RequestView{}, false, err
	}
	for _, e := range events {
		if !messageKinds[e.Kind] || e.Text == "" {
			continue
		}
		m := MessageView{Kind: e.Kind, Authority: e.Authority, Actor: e.ActorUser, At: e.At.UTC(), TextView: TextView{Lang: e.TextLang}}
		if personalText(e) && !show {
			m.Redacted = true
		} else {
			text := e.Text
			m.Text = &text
			shown = true
		}
		v.Messages = append(v.Messages, m)
	}
	if attachmentsVisible(r, pt) {
		files, err := s.store.Attachments(ctx, r.ID)
		if err != nil {
			return RequestView{}, false, err
		}
		for _, f := range files {
			if !f.Personal || show {
				v.Attachments = append(v.Attachments, attachmentViewOf(f))
			}
		}
	}
	return v, shown, nil
}

// viewFor is the caller's view of a request, the read logged when it shows
// personal data; what names the read in the log. A zero party is worked
// out afresh, as after the caller's own action.
func (s *Service) viewFor(ctx context.Context, caller Caller, r models.Request, pt Party, what string) (RequestView, error) {
	if pt.Side == "" {
		var ok bool
		if pt, ok = partyOf(caller.Principal, r); !ok {
			if r.State == models.Draft {
				return RequestView{}, NotFoundError("the request")
			}
			requesting, responding := s.coordinatorSides(ctx, caller.Principal, r)
			if !requesting && !responding {
				return RequestView{}, NotFoundError("the request")
			}
			pt = Party{Side: Coordinating, CoordinatesRequesting: requesting, CoordinatesResponding: responding}
		}
	}
	v, shown, err := s.viewOf(ctx, r, pt, caller.Language)
	if err != nil {
		return RequestView{}, err
	}
	if shown {
		if err := s.logRead(ctx, caller, r, pt, what); err != nil {
			return RequestView{}, err
		}
	}
	return v, nil
}

// logRead appends a read of personal data to the request's access log.
func (s *Service) logRead(ctx context.Context, caller Caller, r models.Request, pt Party, what string) error {
	var authority *uuid.UUID
	if caller.Body != nil {
		id := caller.Body.ID
		authority = &id
	}
	return s.store.LogPersonalDataAccess(ctx, models.AccessLogEntry{
		RequestID: r.ID, UserID: caller.UserID, AuthorityID: authority, What: what, Reason: accessReason(pt),
	})
}

// coordinatorReasonPrefix starts the access log's reason of a
// coordinator's read.
const coordinatorReasonPrefix = "coordinator: "

// accessReason is what the access log records as the reason for a read.
func accessReason(pt Party) string {
	if pt.Side == Coordinating {
		return coordinatorReasonPrefix + pt.Reason
	}
	return "party to the request (" + string(pt.Side) + ")"
}

// TimelineEvent is one event of a request as the reader may see it.
type TimelineEvent struct {
	Kind      string         `json:"kind"`
	At        time.Time      `json:"at"`
	Actor     *uuid.UUID     `json:"actor,omitempty"`
	Authority *uuid.UUID     `json:"authority,omitempty"`
	Text      *string        `json:"text,omitempty"`
	TextLang  string         `json:"text_lang,omitempty"`
	Redacted  bool           `json:"redacted,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
}

// Timeline is every event of a request.
type Timeline struct {
	Reference string          `json:"reference"`
	Events    []TimelineEvent `json:"events"`
}

// Timeline lists every event of a request: who, when, what; texts only to
// whom may read personal data.
func (s *Service) Timeline(ctx context.Context, caller Caller, ref RequestRef) (Timeline, error) {
	if err := s.validate.Check(ref); err != nil {
		return Timeline{}, err
	}
	r, pt, err := s.loadRequest(ctx, caller, ref)
	if err != nil {
		return Timeline{}, err
	}
	events, err := s.store.RequestTimeline(ctx, r.ID)
	if err != nil {
		return Timeline{}, err
	}
	show := personalStatus(r, pt) == PersonalShown
	out := make([]TimelineEvent, 0, len(events))
	shown := false
	for _, e := range events {
		ev := TimelineEvent{Kind: e.Kind, At: e.At.UTC(), Actor: e.ActorUser, Authority: e.Authority, TextLang: e.TextLang, Details: e.Details}
		if e.Text != "" {
			if personalText(e) && !show {
				ev.Redacted = true
			} else {
				text := e.Text
				ev.Text = &text
				shown = true
			}
		}
		out = append(out, ev)
	}
	if shown {
		if err := s.logRead(ctx, caller, r, pt, "GET timeline"); err != nil {
			return Timeline{}, err
		}
	}
	return Timeline{Reference: r.Reference, Events: out}, nil
}

// AccessLogEntry is one read of the request's personal data.
type AccessLogEntry struct {
	User      uuid.UUID  `json:"user"`
	Authority *uuid.UUID `json:"authority,omitempty"`
	What      string     `json:"what"`
	Reason    string     `json:"reason"`
	// Redacted says that the entry names what the reader may not see (a
	// personal file's name, a coordinator's reason), left out.
	Redacted bool      `json:"redacted,omitempty"`
	At       time.Time `json:"at"`
}

// AccessLog lists who read a request's personal data.
type AccessLog struct {
	Reference string           `json:"reference"`
	Entries   []AccessLogEntry `json:"entries"`
}

// attachmentReadPrefix starts the access log's entry of a personal file's
// download, followed by the file's name.
const attachmentReadPrefix = "attachment "

// AccessLog shows who read the request's personal data, when and why:
// each entry only with what the reader may see. A personal file's name
// and a coordinator's reason may name the data subject, so they are
// shown only to whom may read the personal data.
func (s *Service) AccessLog(ctx context.Context, caller Caller, ref RequestRef) (AccessLog, error) {
	if err := s.validate.Check(ref); err != nil {
		return AccessLog{}, err
	}
	r, pt, err := s.loadRequest(ctx, caller, ref)
	if err != nil {
		return AccessLog{}, err
	}
	entries, err := s.store.AccessLog(ctx, r.ID)
	if err != nil {
		return AccessLog{}, err
	}
	show := personalStatus(r, pt) == PersonalShown
	out := make([]AccessLogEntry, 0, len(entries))
	for _, e := range entries {
		out = append(out, accessLogEntryFor(e, show))
	}
	return AccessLog{Reference: r.Reference, Entries: out}, nil
}

// accessLogEntryFor is an entry as a reader sees it: in full when show
// (the reader may read the personal data), else without a personal
// file's name or a coordinator's reason.
func accessLogEntryFor(e models.AccessLogEntry, show bool) AccessLogEntry {
	v := AccessLogEntry{User: e.UserID, Authority: e.AuthorityID, What: e.What, Reason: e.Reason, At: e.At.UTC()}
	if show {
		return v
	}
	if strings.HasPrefix(v.What, attachmentReadPrefix) {
		v.What, v.Redacted = strings.TrimSpace(attachmentReadPrefix), true
	}
	if strings.HasPrefix(v.Reason, coordinatorReasonPrefix) {
		v.Reason, v.Redacted = strings.TrimSuffix(coordinatorReasonPrefix, ": "), true
	}
	return v
}

// RequestListInput selects a page of a box.
type RequestListInput struct {
	Box   string `form:"box" binding:"required,oneof=incoming outgoing"`
	State string `form:"state" binding:"omitempty,oneof=DRAFT AWAITING_ACCEPTANCE ACCEPTED ANSWERED CLARIFICATION_REQUESTED REFERRED CLOSED WITHDRAWN"`
	Area  string `form:"area" binding:"max=60"`
	// Reference keeps only the request of that reference (IMI-2026-000123),
	// matched exactly, case and surrounding blanks aside.
	Reference string `form:"reference" binding:"max=40"`
	Overdue   *bool  `form:"overdue"`
	Escalated *bool  `form:"escalated"`
	Page      *int   `form:"page" binding:"omitempty,min=1,max=10000"`
	PageSize  *int   `form:"page_size" binding:"omitempty,min=1,max=100"`
}

// RequestSummary is a request as a box lists it.
type RequestSummary struct {
	ID                  uuid.UUID `json:"id"`
	Reference           string    `json:"reference"`
	Area                string    `json:"area"`
	State               string    `json:"state"`
	Subject             string    `json:"subject"`
	RequestingAuthority uuid.UUID `json:"requesting_authority"`
	RespondingAuthority uuid.UUID `json:"responding_authority"`
	// OtherPartyName and OtherPartyCountry name the other side: the
	// requesting authority in the incoming box, the responding one in the
	// outgoing box.
	OtherPartyName    string     `json:"other_party_name,omitempty"`
	OtherPartyCountry string     `json:"other_party_country,omitempty"`
	NeededBy          string     `json:"needed_by"`
	ReplyDueAt        *time.Time `json:"reply_due_at,omitempty"`
	Overdue           bool       `json:"overdue"`
	Escalated         bool       `json:"escalated"`
	UpdatedAt         time.Time  `json:"updated_at"`
}

func summaryOf(r models.RequestListRow, now time.Time, day time.Duration) RequestSummary {
	return RequestSummary{
		ID: r.ID, Reference: r.Reference, Area: r.AreaCode, State: r.State, Subject: r.Subject,
		RequestingAuthority: r.RequestingAuthority, RespondingAuthority: r.RespondingAuthority,
		OtherPartyName: r.OtherName, OtherPartyCountry: r.OtherCountry,
		NeededBy: r.NeededBy.Format(dateLayout), ReplyDueAt: r.ReplyDue, Overdue: r.OverdueAt(now, day),
		Escalated: r.EscalatedAt != nil, UpdatedAt: r.UpdatedAt.UTC(),
	}
}

// RequestPage is a page of a box.
type RequestPage struct {
	Items    []RequestSummary `json:"items"`
	Total    int64            `json:"total"`
	Page     int              `json:"page"`
	PageSize int              `json:"page_size"`
}

// The paging of lists: pages of 20 by default, no deeper than 10,000
// results.
const (
	defaultPageSize = 20
	maxListDepth    = 10_000
)

// paging applies the defaults to a page and a page size, and refuses a
// page deeper than the lists go.
func paging(page, size *int) (int, int, error) {
	p, n := 1, defaultPageSize
	if page != nil {
		p = *page
	}
	if size != nil {
		n = *size
	}
	if p*n > maxListDepth {
		return 0, 0, InvalidFields(FieldError{Field: "page", Rule: "max_depth", Param: fmt.Sprint(maxListDepth) + " results"})
	}
	return p, n, nil
}

// Requests pages through the caller's authority's incoming or outgoing
// requests of the areas the caller holds a role in.
func (s *Service) Requests(ctx context.Context, caller Caller, in RequestListInput) (RequestPage, error) {
	if err := s.validate.Check(in); err != nil {
		return RequestPage{}, err
	}
	p := caller.Principal
	if p.Body == nil || p.Body.Status != models.AuthorityActive {
		return RequestPage{}, ForbiddenError("requests")
	}
	page, size, err := paging(in.Page, in.PageSize)
	if err != nil {
		return RequestPage{}, err
	}
	now := time.Now()
	rows, total, err := s.store.ListRequests(ctx, models.RequestFilter{
		Authority: p.Body.ID, Incoming: in.Box == "incoming", Areas: policy.RequestAreas(p), State: in.State, Area: in.Area,
		Reference: strings.ToUpper(strings.TrimSpace(in.Reference)), Overdue: in.Overdue, Escalated: in.Escalated, AsOf: now, Day: s.settings.Day, Page: page, PageSize: size,
	})
	if err != nil {
		return RequestPage{}, err
	}
	items := make([]RequestSummary, 0, len(rows))
	for _, r := range rows {
		items = append(items, summaryOf(r, now, s.settings.Day))
	}
	return RequestPage{Items: items, Total: total, Page: page, PageSize: size}, nil
}
