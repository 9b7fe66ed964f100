package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

// claimGrace is how long a send may hold its draft before starting the
// workflow; a claim older than that with no workflow behind it was left by
// a sender that died, and an edit or a deletion releases it.
const claimGrace = time.Minute

// updateID makes a retried call with the same Idempotency-Key the same
// Temporal update, which the workflow answers with its first result.
func updateID(caller Caller, what, key string) string {
	if key == "" {
		return uuid.NewString()
	}
	sum := sha256.Sum256([]byte(caller.UserID.String() + "\x00" + what + "\x00" + key))
	return hex.EncodeToString(sum[:16])
}

func deadlinesOf(a catalog.Area) workflows.RequestDeadlines {
	d := a.Deadlines
	return workflows.RequestDeadlines{
		AcceptanceReminderDays:  d.Acceptance.ReminderDays,
		AcceptanceEscalateDay:   d.Acceptance.EscalateDay,
		ReplyReminderDaysBefore: d.Reply.ReminderDaysBefore,
		ReplyEscalateDaysAfter:  d.Reply.EscalateDaysAfter,
		ReplyEscalateBothAfter:  d.Reply.EscalateBothDaysAfter,
		BlockAfterMonths:        a.Retention.BlockAfterMonths,
		DeleteAfterMonths:       a.Retention.DeleteAfterMonths,
	}
}

// SendInput sends the draft ID; IdempotencyKey makes a retry return the
// first result.
type SendInput struct {
	ID             string `form:"id"`
	IdempotencyKey string `form:"Idempotency-Key" binding:"max=200"`
}

// workflowExists tells whether the request's workflow was started.
func (s *Service) workflowExists(ctx context.Context, id uuid.UUID) (bool, error) {
	desc, err := s.temporal.DescribeWorkflow(ctx, workflows.RequestWorkflowID(id), "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("describe the workflow of request %s: %w", id, err)
	}
	// A workflow that failed before recording the sending (its recording
	// refused for good) stands behind nothing: the draft may be sent again.
	switch desc.Status {
	case enumspb.WORKFLOW_EXECUTION_STATUS_FAILED, enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED,
		enumspb.WORKFLOW_EXECUTION_STATUS_TIMED_OUT, enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED:
		return false, nil
	}
	return true, nil
}

// releaseAbandonedClaim gives a draft back to its authors when a send
// claimed it long ago and no workflow stands behind the claim: its sender
// died between the two. A recent claim may still be on its way, and one
// with a workflow is as good as sent; both are left alone.
func (s *Service) releaseAbandonedClaim(ctx context.Context, r models.Request) error {
	if r.SendingAt == nil || time.Since(*r.SendingAt) < claimGrace {
		return nil
	}
	exists, err := s.workflowExists(ctx, r.ID)
	if err != nil {
		return err
	}
	if exists {
		return nil
	}
	if released, err := s.store.ReleaseStaleClaim(ctx, r.ID, *r.SendingAt); err != nil {
		return err
	} else if released {
		s.log.WarnContext(ctx, "released a draft its sender left claimed without a workflow", "request", r.ID, "claimed_at", *r.SendingAt)
	}
	return nil
}

// SendRequest starts the request's workflow and returns once the request
// shows as sent. A send that finds the draft claimed by another (or by a
// predecessor that died before starting the workflow) finishes the job:
// the start is idempotent by workflow id. A send retried with the same
// key after it succeeded returns the request as the first did.
func (s *Service) SendRequest(ctx context.Context, caller Caller, in SendInput) (RequestView, error) {
	if err := s.validate.Check(in); err != nil {
		return RequestView{}, err
	}
	r, err := s.loadDraft(ctx, caller, in.ID)
	if err != nil {
		return RequestView{}, err
	}
	id := updateID(caller, "send/"+r.ID.String(), in.IdempotencyKey)
	if r.State != models.Draft {
		return s.replaySend(ctx, caller, r, id, in.IdempotencyKey)
	}
	// From here no edit or deletion of the draft slips in before the
	// workflow records it as sent.
	claimed, err := s.store.ClaimForSending(ctx, r.ID)
	if errors.Is(err, models.ErrNotDraft) {
		if claimed, err = s.store.Request(ctx, r.ID); err != nil {
			return RequestView{}, storeError(err, "the request")
		}
		if claimed.State != models.Draft {
			return s.replaySend(ctx, caller, claimed, id, in.IdempotencyKey)
		}
		// Claimed by a send still under way or dead: starting the same
		// workflow is harmless either way.
	} else if err != nil {
		return RequestView{}, err
	}
	view, err := s.send(ctx, caller, claimed, id)
	if err != nil && claimed.SendingAt != nil {
		// Release the claim unless a workflow stands behind it, which
		// records the request as sent on its own.
		bg := context.WithoutCancel(ctx)
		if exists, derr := s.workflowExists(bg, claimed.ID); derr == nil && !exists {
			if _, rerr := s.store.ReleaseStaleClaim(bg, claimed.ID, *claimed.SendingAt); rerr != nil {
				s.log.ErrorContext(ctx, "release a draft after a failed send", "request", claimed.ID, "err", rerr)
			}
		}
	}
	return view, err
}

// replaySend answers a send of a request already sent: with the first
// result when the same key sent it, else a conflict.
func (s *Service) replaySend(ctx context.Context, caller Caller, r models.Request, id, key string) (RequestView, error) {
	sent := ConflictError("wrong_state", "the request is %s: it has been sent already", r.State)
	if key == "" {
		return RequestView{}, sent
	}
	handle := s.temporal.GetWorkflowUpdateHandle(client.GetWorkflowUpdateHandleOptions{
		WorkflowID: workflows.RequestWorkflowID(r.ID), UpdateID: id,
	})
	if err := handle.Get(ctx, nil); err != nil {
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return RequestView{}, sent
		}
		return RequestView{}, fmt.Errorf("replay the send of request %s: %w", r.ID, err)
	}
	return s.fresh(ctx, caller, r.ID, Party{}, "POST /api/v1/requests/:id/send")
}

// send starts the request's workflow, or joins the one already started,
// and waits until it records the request as sent.
func (s *Service) send(ctx context.Context, caller Caller, r models.Request, id string) (RequestView, error) {
	now := time.Now().UTC()
	days := daysBetween(now, r.NeededBy)
	if days < 1 {
		return RequestView{}, InvalidFields(FieldError{Field: "needed_by", Rule: "in_the_future", Param: r.NeededBy.Format(dateLayout)})
	}
	area, _ := s.catalog.Area(r.AreaCode)
	parties, err := s.store.Authorities(ctx, r.RequestingAuthority, r.RespondingAuthority)
	if err != nil {
		return RequestView{}, err
	}
	requester, responder := parties[r.RequestingAuthority], parties[r.RespondingAuthority]
	if requester.ID == uuid.Nil {
		return RequestView{}, fmt.Errorf("requesting authority %s of a draft: %w", r.RequestingAuthority, models.ErrNotFound)
	}
	if responder.Status != models.AuthorityActive {
		return RequestView{}, InvalidFields(FieldError{Field: "responding_authority", Rule: "active_authority"})
	}
	in := workflows.RequestInput{
		RequestID: r.ID, Reference: r.Reference, Area: r.AreaCode,
		RequestingAuthority: r.RequestingAuthority, RequestingCountry: requester.CountryCode,
		RespondingAuthority: r.RespondingAuthority, RespondingCountry: responder.CountryCode,
		SentAt: now, NeededByDays: days, Day: s.settings.Day, Deadlines: deadlinesOf(area), SentBy: caller.UserID,
		ContinueAsNewAfter: 500,
	}
	start := s.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:        workflows.RequestWorkflowID(r.ID),
		TaskQueue: s.settings.TaskQueue,
		// A second send of the same draft (a retry, or one finishing the
		// job of a sender that died) joins the workflow already running.
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// A request whose workflow failed may be sent again.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
	}, workflows.RequestWorkflowName, in)
	handle, err := s.temporal.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: id, UpdateName: workflows.SendUpdate,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		return RequestView{}, ConflictError("wrong_state", "the request has been sent already")
	}
	if err != nil {
		return RequestView{}, actionError(fmt.Errorf("start the workflow of request %s: %w", r.ID, err), r)
	}
	return s.fresh(ctx, caller, r.ID, Party{}, "POST /api/v1/requests/:id/send")
}

// AnswerInput answers one question.
type AnswerInput struct {
	Question string `json:"question" binding:"required,max=80"`
	Value    string `json:"value" binding:"required,max=10000"`
}

// ActionBody holds the fields of every action; each action reads its own
// and refuses the others' absence where it needs them.
type ActionBody struct {
	ProposedReplyDate string        `json:"proposed_reply_date" binding:"omitempty,datetime=2006-01-02"`
	ForwardTo         *uuid.UUID    `json:"forward_to"`
	Handler           *uuid.UUID    `json:"handler"`
	Answers           []AnswerInput `json:"answers" binding:"max=100,dive"`
	Text              string        `json:"text" binding:"max=10000"`
	TextLang          string        `json:"text_lang" binding:"omitempty,len=2,lowercase"`
	TimelinessRating  int           `json:"timeliness_rating" binding:"omitempty,min=1,max=5"`
	EffortRating      int           `json:"effort_rating" binding:"omitempty,min=1,max=5"`
}

// ActionInput is an official's action on the request ID.
type ActionInput struct {
	ID             string           `form:"id"`
	Action         workflows.Action `form:"action"`
	IdempotencyKey string           `form:"Idempotency-Key" binding:"max=200"`
	ActionBody
}

// Act sends an official's action to the request's workflow, whose
// validator decides on state and rights, and returns the request once the
// action is visible. After a forward the caller's authority no longer
// takes part: it gets the request's frame, marked Forwarded.
func (s *Service) Act(ctx context.Context, caller Caller, in ActionInput) (RequestView, error) {
	outer := in
	outer.ActionBody = ActionBody{}
	if err := s.checkEach(outer, in.ActionBody); err != nil {
		return RequestView{}, err
	}
	if !slices.Contains(workflows.Actions(), in.Action) {
		return RequestView{}, NotFoundError("the action " + string(in.Action))
	}
	r, pt, err := s.loadRequest(ctx, caller, RequestRef{ID: in.ID})
	if err != nil {
		return RequestView{}, err
	}
	if r.State == models.Draft {
		return RequestView{}, ConflictError("wrong_state", "the request is a DRAFT: send it first")
	}
	if pt.Side == Coordinating {
		return RequestView{}, ForbiddenError("the request: coordinators intervene through /coordination")
	}
	cmd, errs := s.commandOf(ctx, in.Action, in.ActionBody, r)
	if len(errs) > 0 {
		return RequestView{}, InvalidFields(errs...)
	}
	cmd.Actor = workflows.RequestActor{UserID: caller.UserID, AuthorityID: caller.Body.ID, Handler: pt.Handler, Allocator: pt.Allocator}
	if err := s.updateRequest(ctx, caller, r, in.Action, cmd, in.IdempotencyKey); err != nil {
		return RequestView{}, err
	}
	fresh, err := s.store.Request(ctx, r.ID)
	if err != nil {
		return RequestView{}, fmt.Errorf("reload request %s: %w", r.ID, err)
	}
	if _, still := partyOf(caller.Principal, fresh); !still && in.Action == workflows.ActForward {
		return forwardedView(fresh), nil
	}
	return s.viewFor(ctx, caller, fresh, Party{}, "POST /api/v1/requests/:id/"+string(in.Action))
}

// updateRequest sends an action to the request's workflow and waits until
// it is recorded.
func (s *Service) updateRequest(ctx context.Context, caller Caller, r models.Request, action workflows.Action, cmd workflows.RequestCommand, key string) error {
	handle, err := s.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.RequestWorkflowID(r.ID),
		UpdateID:     updateID(caller, string(action)+"/"+r.ID.String(), key),
		UpdateName:   string(action),
		Args:         []any{cmd},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err != nil {
		return actionError(err, r)
	}
	return nil
}

// actionError maps the workflow's refusal to a kind: a state conflict or
// a concurrent action Conflict, a missing role Forbidden, a bad payload
// Invalid.
func actionError(err error, r models.Request) error {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeWrongState, workflows.ErrTypeBusy:
			return &Error{Kind: Conflict, Code: "wrong_state", Message: appErr.Message(), Details: map[string]any{"state": r.State}}
		case workflows.ErrTypeNotAllowed:
			return &Error{Kind: Forbidden, Code: "forbidden", Message: appErr.Message()}
		case workflows.ErrTypeInvalidAction:
			return &Error{Kind: Invalid, Code: "validation_failed", Message: appErr.Message()}
		case workflows.ErrTypeActionNotRecorded:
			// The database refused its content for good: the action did not
			// happen and sending it again the same way will not help.
			return &Error{Kind: Invalid, Code: "action_not_recorded", Err: err,
				Message: "the action could not be recorded and did not take effect: its content was refused; the request is unchanged"}
		case workflows.ErrTypeRecordingUnavailable:
			return &Error{Kind: Unavailable, Code: "unavailable", RetryAfter: 30 * time.Second, Err: err,
				Message: "the action could not be recorded just now and did not take effect; try again in a moment"}
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		return ConflictError("wrong_state", "the request is %s: no action is possible any more", r.State)
	}
	return unavailable(fmt.Errorf("act on request %s: %w", r.ID, err))
}

// unavailable tells a caller to try again later when the workflow engine
// could not be reached or did not answer in time; any other error is
// returned as it is.
func unavailable(err error) error {
	var down *serviceerror.Unavailable
	var late *serviceerror.DeadlineExceeded
	if errors.As(err, &down) || errors.As(err, &late) || errors.Is(err, context.DeadlineExceeded) {
		return &Error{Kind: Unavailable, Code: "unavailable", RetryAfter: 5 * time.Second,
			Message: "the request's workflow cannot be reached just now; try again in a moment (the same Idempotency-Key is safe)", Err: err}
	}
	return err
}

// commandOf checks an action's own fields against the request, the
// reference data and the directory.
func (s *Service) commandOf(ctx context.Context, action workflows.Action, in ActionBody, r models.Request) (workflows.RequestCommand, []FieldError) {
	cmd := workflows.RequestCommand{Text: strings.TrimSpace(in.Text), TextLang: in.TextLang,
		TimelinessRating: in.TimelinessRating, EffortRating: in.EffortRating}
	var errs []FieldError
	needText := func() {
		if cmd.Text == "" {
			errs = append(errs, FieldError{Field: "text", Rule: "required"})
		}
	}
	if cmd.Text != "" && !s.hasLanguage(cmd.TextLang) {
		errs = append(errs, FieldError{Field: "text_lang", Rule: "known_language_of_the_text", Param: cmd.TextLang})
	}
	switch action {
	case workflows.ActAccept, workflows.ActProposeDeadline:
		if in.ProposedReplyDate == "" {
			if action == workflows.ActProposeDeadline {
				errs = append(errs, FieldError{Field: "proposed_reply_date", Rule: "required"})
			}
			break
		}
		d, _ := time.Parse(dateLayout, in.ProposedReplyDate)
		cmd.ProposedDueDays = daysBetween(*r.SentAt, d)
		if daysBetween(time.Now(), d) < 1 || cmd.ProposedDueDays > maxNeededByDays {
			errs = append(errs, FieldError{Field: "proposed_reply_date", Rule: "between_tomorrow_and_a_year", Param: in.ProposedReplyDate})
		}
	case workflows.ActForward:
		if in.ForwardTo == nil {
			errs = append(errs, FieldError{Field: "forward_to", Rule: "required"})
			break
		}
		target, err := s.store.Authority(ctx, *in.ForwardTo)
		if err != nil || target.Status != models.AuthorityActive ||
			!slices.ContainsFunc(target.Areas, func(a models.AuthorityArea) bool { return a.AreaCode == r.AreaCode }) {
			errs = append(errs, FieldError{Field: "forward_to", Rule: "active_authority_of_the_area"})
			break
		}
		cmd.ForwardTo, cmd.ForwardToCountry = target.ID, target.CountryCode
	case workflows.ActAssign:
		if in.Handler == nil {
			errs = append(errs, FieldError{Field: "handler", Rule: "required"})
			break
		}
		users, roles, err := s.store.UsersOf(ctx, r.RespondingAuthority)
		ok := err == nil && slices.ContainsFunc(users, func(u models.User) bool {
			return u.ID == *in.Handler && u.Status == models.UserActive &&
				slices.Contains(roles[u.ID], models.UserRole{UserID: u.ID, Role: models.RequestHandler, AreaCode: r.AreaCode})
		})
		if !ok {
			errs = append(errs, FieldError{Field: "handler", Rule: "request_handler_of_the_responding_authority"})
			break
		}
		cmd.Handler = *in.Handler
	case workflows.ActAnswer:
		answers, answerErrs := s.checkAnswers(r, in.Answers)
		errs = append(errs, answerErrs...)
		cmd.Answers = answers
	case workflows.ActRequestClarification, workflows.ActClarify, workflows.ActMessage, workflows.ActRefer:
		needText()
	}
	return cmd, errs
}

// checkAnswers types each answer as its question says.
func (s *Service) checkAnswers(r models.Request, in []AnswerInput) ([]workflows.QuestionAnswer, []FieldError) {
	area, _ := s.catalog.Area(r.AreaCode)
	if len(in) == 0 {
		return nil, []FieldError{{Field: "answers", Rule: "required"}}
	}
	var out []workflows.QuestionAnswer
	var errs []FieldError
	seen := map[string]bool{}
	for i, a := range in {
		field := fmt.Sprintf("answers[%d]", i)
		q, ok := area.Question(a.Question)
		if !ok || !slices.Contains(r.Questions, a.Question) {
			errs = append(errs, FieldError{Field: field + ".question", Rule: "question_of_the_request", Param: a.Question})
			continue
		}
		if seen[a.Question] {
			errs = append(errs, FieldError{Field: field + ".question", Rule: "unique", Param: a.Question})
			continue
		}
		seen[a.Question] = true
		value := strings.TrimSpace(a.Value)
		if rule := answerTypeError(q, value); rule != "" {
			errs = append(errs, FieldError{Field: field + ".value", Rule: rule, Param: string(q.Type)})
			continue
		}
		out = append(out, workflows.QuestionAnswer{Question: a.Question, Value: value, Personal: q.PersonalData})
	}
	return out, errs
}

func answerTypeError(q catalog.Question, v string) string {
	switch q.Type {
	case catalog.AnswerYesNo:
		if v != "yes" && v != "no" {
			return "yes_or_no"
		}
	case catalog.AnswerChoice:
		if !slices.ContainsFunc(q.Options, func(o catalog.Option) bool { return o.Code == v }) {
			return "one_of_the_options"
		}
	case catalog.AnswerDate:
		if _, err := time.Parse(dateLayout, v); err != nil {
			return "date_yyyy_mm_dd"
		}
	default:
		if v == "" {
			return "required"
		}
	}
	return ""
}
