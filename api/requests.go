package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

const dateLayout = "2006-01-02"

// maxNeededByDays bounds how far ahead a needed-by date may lie.
const maxNeededByDays = 366

// coordinating is the part of a coordinator whose scope covers one of the
// two authorities of a request.
const coordinating workflows.Side = "coordinator"

// party is the caller's part in a request.
type party struct {
	side workflows.Side
	// authority is the caller's own.
	authority uuid.UUID
	handler   bool
	allocator bool
	// reason is a coordinator's recorded reason for reading personal data.
	reason string
	// coordinatesRequesting and coordinatesResponding say, for a
	// coordinator, which of the two authorities its scope covers.
	coordinatesRequesting, coordinatesResponding bool
}

// partyOf tells the caller's part in a request; ok is false for a caller
// outside it, who is told the request does not exist. A draft belongs to
// the requesting authority alone.
func partyOf(p policy.Principal, r models.Request) (party, bool) {
	b := p.Body
	if b == nil || b.Status != models.AuthorityActive {
		return party{}, false
	}
	pt := party{authority: b.ID, handler: p.Has(models.RequestHandler, r.AreaCode), allocator: p.Has(models.Allocator, r.AreaCode)}
	switch {
	case b.ID == r.RequestingAuthority:
		pt.side = workflows.Requesting
	case b.ID == r.RespondingAuthority && r.State != models.Draft:
		pt.side = workflows.Responding
	default:
		return party{}, false
	}
	return pt, true
}

// loadRequest loads the request of the path for a caller who is part of it.
func (h *handlers) loadRequest(c *gin.Context) (models.Request, party, bool) {
	id, ok := pathID(c, "id", "the request")
	if !ok {
		return models.Request{}, party{}, false
	}
	r, err := h.store.Request(c.Request.Context(), id)
	if err != nil {
		h.storeError(c, err, "the request")
		return models.Request{}, party{}, false
	}
	pt, ok := partyOf(principal(c), r)
	if !ok && r.State != models.Draft {
		if requesting, responding := h.coordinatorSides(c, r); requesting || responding {
			pt, ok = party{side: coordinating, reason: strings.TrimSpace(c.Query("reason")),
				coordinatesRequesting: requesting, coordinatesResponding: responding}, true
		}
	}
	if !ok {
		deny(c, policy.NotFound, "the request")
		return models.Request{}, party{}, false
	}
	return r, pt, true
}

// coordinatorSides tells which of a request's two authorities the caller
// coordinates.
func (h *handlers) coordinatorSides(c *gin.Context, r models.Request) (requesting, responding bool) {
	p := principal(c)
	if p.Body == nil || !p.Body.Kind.IsCoordinator() {
		return false, false
	}
	covers := func(id uuid.UUID) bool {
		a, err := h.store.Authority(c.Request.Context(), id)
		if err != nil {
			return false
		}
		// The request's own area decides an area-scoped coordinator's
		// reach, not the other areas its authorities work in.
		target := targetOf(a)
		target.Areas = []string{r.AreaCode}
		return p.Coordinates(target)
	}
	return covers(r.RequestingAuthority), covers(r.RespondingAuthority)
}

// minReasonLength keeps a coordinator's reason for reading personal data
// from being a formality.
const minReasonLength = 10

// ---- drafts ----

type draftBody struct {
	Area                *string            `json:"area" binding:"omitempty,min=1,max=60"`
	RespondingAuthority *uuid.UUID         `json:"responding_authority"`
	Subject             *string            `json:"subject" binding:"omitempty,min=1,max=300"`
	SubjectLang         *string            `json:"subject_lang" binding:"omitempty,len=2,lowercase"`
	Questions           *[]string          `json:"questions" binding:"omitempty,min=1,max=60,dive,required,max=80"`
	FreeText            *string            `json:"free_text" binding:"omitempty,max=10000"`
	FreeTextLang        *string            `json:"free_text_lang" binding:"omitempty,len=2,lowercase"`
	PersonalData        *map[string]string `json:"personal_data" binding:"omitempty,max=30,dive,keys,min=1,max=60,endkeys,max=1000"`
	NeededBy            *string            `json:"needed_by" binding:"omitempty,datetime=2006-01-02"`
}

func required[T any](errs []FieldError, field string, v *T) []FieldError {
	if v == nil {
		return append(errs, FieldError{Field: field, Rule: "required"})
	}
	return errs
}

// createDraft starts a request for the caller's authority.
func (h *handlers) createDraft(c *gin.Context) {
	var in draftBody
	if !h.bindJSON(c, &in) {
		return
	}
	var errs []FieldError
	errs = required(errs, "area", in.Area)
	errs = required(errs, "responding_authority", in.RespondingAuthority)
	errs = required(errs, "subject", in.Subject)
	errs = required(errs, "subject_lang", in.SubjectLang)
	errs = required(errs, "questions", in.Questions)
	errs = required(errs, "needed_by", in.NeededBy)
	if len(errs) > 0 {
		fieldErrors(c, errs)
		return
	}
	p := principal(c)
	if p.Body == nil || p.Body.Status != models.AuthorityActive || !p.Has(models.RequestHandler, *in.Area) {
		deny(c, policy.Forbidden, "requests in area "+*in.Area)
		return
	}
	r := models.Request{RequestingAuthority: p.Body.ID, CreatedBy: p.UserID, FreeTextLang: ""}
	personal := models.PersonalFields{}
	if errs := h.applyDraft(c.Request.Context(), &r, &personal, in, p.Body.Country); len(errs) > 0 {
		fieldErrors(c, errs)
		return
	}
	if err := h.store.CreateDraft(c.Request.Context(), &r, personal); err != nil {
		h.internalError(c, err)
		return
	}
	h.respondRequest(c, r, http.StatusCreated, party{})
}

// applyDraft checks the fields given against the reference data and the
// directory, and applies them.
func (h *handlers) applyDraft(ctx context.Context, r *models.Request, personal *models.PersonalFields, in draftBody, ownCountry string) []FieldError {
	var errs []FieldError
	if in.Area != nil {
		r.AreaCode = *in.Area
	}
	area, ok := h.ref.cat.Area(r.AreaCode)
	if !ok {
		return []FieldError{{Field: "area", Rule: "known_area", Param: r.AreaCode}}
	}
	if in.RespondingAuthority != nil {
		r.RespondingAuthority = *in.RespondingAuthority
	}
	if in.RespondingAuthority != nil || in.Area != nil {
		target, err := h.store.Authority(ctx, r.RespondingAuthority)
		switch {
		case err != nil || target.Status != models.AuthorityActive:
			errs = append(errs, FieldError{Field: "responding_authority", Rule: "active_authority"})
		case target.CountryCode == ownCountry:
			errs = append(errs, FieldError{Field: "responding_authority", Rule: "in_another_country"})
		case !slices.ContainsFunc(target.Areas, func(a models.AuthorityArea) bool { return a.AreaCode == r.AreaCode }):
			errs = append(errs, FieldError{Field: "responding_authority", Rule: "works_in_the_area", Param: r.AreaCode})
		}
	}
	if in.Subject != nil {
		r.Subject = strings.TrimSpace(*in.Subject)
	}
	if in.SubjectLang != nil {
		r.SubjectLang = *in.SubjectLang
		if !h.ref.HasLanguage(r.SubjectLang) {
			errs = append(errs, FieldError{Field: "subject_lang", Rule: "known_language", Param: r.SubjectLang})
		}
	}
	if in.Questions != nil {
		seen := map[string]bool{}
		r.Questions = nil
		for i, code := range *in.Questions {
			if _, ok := area.Question(code); !ok {
				errs = append(errs, FieldError{Field: "questions[" + itoa(i) + "]", Rule: "question_of_the_area", Param: code})
				continue
			}
			if !seen[code] {
				seen[code] = true
				r.Questions = append(r.Questions, code)
			}
		}
	} else if in.Area != nil {
		for i, code := range r.Questions {
			if _, ok := area.Question(code); !ok {
				errs = append(errs, FieldError{Field: "questions[" + itoa(i) + "]", Rule: "question_of_the_area", Param: code})
			}
		}
	}
	if in.FreeText != nil {
		r.FreeText = *in.FreeText
	}
	if in.FreeTextLang != nil {
		r.FreeTextLang = *in.FreeTextLang
	}
	if r.FreeText != "" && !h.ref.HasLanguage(r.FreeTextLang) {
		errs = append(errs, FieldError{Field: "free_text_lang", Rule: "known_language_of_the_text", Param: r.FreeTextLang})
	}
	if in.PersonalData != nil {
		*personal = models.PersonalFields(*in.PersonalData)
	}
	if in.NeededBy != nil {
		d, _ := time.Parse(dateLayout, *in.NeededBy)
		days := daysBetween(time.Now(), d)
		if days < 1 || days > maxNeededByDays {
			errs = append(errs, FieldError{Field: "needed_by", Rule: "between_tomorrow_and_a_year", Param: *in.NeededBy})
		}
		r.NeededBy = d
	}
	return errs
}

// daysBetween counts calendar days (UTC) from the day of from to date.
func daysBetween(from time.Time, date time.Time) int {
	f := from.UTC()
	start := time.Date(f.Year(), f.Month(), f.Day(), 0, 0, 0, 0, time.UTC)
	return int(date.Sub(start).Hours() / 24)
}

func (h *handlers) loadDraft(c *gin.Context) (models.Request, bool) {
	r, pt, ok := h.loadRequest(c)
	if !ok {
		return models.Request{}, false
	}
	if pt.side != workflows.Requesting || !pt.handler {
		deny(c, policy.Forbidden, "the draft")
		return models.Request{}, false
	}
	return r, true
}

// updateDraft edits a draft; a sent request is changed only by actions.
func (h *handlers) updateDraft(c *gin.Context) {
	var in draftBody
	if !h.bindJSON(c, &in) {
		return
	}
	current, ok := h.loadDraft(c)
	if !ok {
		return
	}
	var errs []FieldError
	updated, err := h.store.UpdateDraft(c.Request.Context(), current.ID, func(r *models.Request, personal models.PersonalFields) (models.PersonalFields, error) {
		if in.Area != nil && !principal(c).Has(models.RequestHandler, *in.Area) {
			return nil, errForbiddenArea
		}
		errs = h.applyDraft(c.Request.Context(), r, &personal, in, principal(c).Body.Country)
		if len(errs) > 0 {
			return nil, errInvalidDraft
		}
		return personal, nil
	})
	switch {
	case errors.Is(err, errInvalidDraft):
		fieldErrors(c, errs)
	case errors.Is(err, errForbiddenArea):
		deny(c, policy.Forbidden, "requests in area "+*in.Area)
	case err != nil:
		h.storeError(c, err, "the request")
	default:
		h.respondRequest(c, updated, http.StatusOK, party{})
	}
}

var (
	errInvalidDraft  = errors.New("invalid draft")
	errForbiddenArea = errors.New("no request handler role in that area")
)

func (h *handlers) deleteDraft(c *gin.Context) {
	r, ok := h.loadDraft(c)
	if !ok {
		return
	}
	if err := h.store.DeleteDraft(c.Request.Context(), r.ID); err != nil {
		h.storeError(c, err, "the request")
		return
	}
	c.Status(http.StatusNoContent)
}

// ---- sending and actions ----

// updateID makes a retried call with the same Idempotency-Key the same
// Temporal update, which the workflow answers with its first result.
func updateID(c *gin.Context, p policy.Principal, what string) string {
	key := c.GetHeader("Idempotency-Key")
	if key == "" {
		return uuid.NewString()
	}
	sum := sha256.Sum256([]byte(p.UserID.String() + "\x00" + what + "\x00" + key))
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

// sendRequest starts the request's workflow and returns once the request
// shows as sent.
func (h *handlers) sendRequest(c *gin.Context) {
	r, ok := h.loadDraft(c)
	if !ok {
		return
	}
	if r.State != models.Draft {
		abortWithError(c, http.StatusConflict, "wrong_state", "the request is "+r.State+": it has been sent already", nil)
		return
	}
	// From here no edit or deletion of the draft slips in before the
	// workflow records it as sent.
	r, err := h.store.ClaimForSending(c.Request.Context(), r.ID)
	if errors.Is(err, models.ErrNotDraft) {
		abortWithError(c, http.StatusConflict, "wrong_state", "the request is being sent or has been sent already", nil)
		return
	}
	if err != nil {
		h.internalError(c, err)
		return
	}
	if !h.send(c, r) {
		if err := h.store.ReleaseSending(context.WithoutCancel(c.Request.Context()), r.ID); err != nil {
			h.log.Error("release a draft after a failed send", "request", r.ID, "err", err)
		}
	}
}

// send starts the request's workflow; it reports false when the request
// was not sent, having answered the caller.
func (h *handlers) send(c *gin.Context, r models.Request) bool {
	now := time.Now().UTC()
	days := daysBetween(now, r.NeededBy)
	if days < 1 {
		fieldErrors(c, []FieldError{{Field: "needed_by", Rule: "in_the_future", Param: r.NeededBy.Format(dateLayout)}})
		return false
	}
	area, _ := h.ref.cat.Area(r.AreaCode)
	parties, err := h.store.Authorities(c.Request.Context(), r.RequestingAuthority, r.RespondingAuthority)
	if err != nil {
		h.internalError(c, err)
		return false
	}
	requester, responder := parties[r.RequestingAuthority], parties[r.RespondingAuthority]
	if requester.ID == uuid.Nil {
		h.internalError(c, fmt.Errorf("requesting authority %s of a draft: %w", r.RequestingAuthority, models.ErrNotFound))
		return false
	}
	if responder.Status != models.AuthorityActive {
		fieldErrors(c, []FieldError{{Field: "responding_authority", Rule: "active_authority"}})
		return false
	}
	p := principal(c)
	in := workflows.RequestInput{
		RequestID: r.ID, Reference: r.Reference, Area: r.AreaCode,
		RequestingAuthority: r.RequestingAuthority, RequestingCountry: requester.CountryCode,
		RespondingAuthority: r.RespondingAuthority, RespondingCountry: responder.CountryCode,
		SentAt: now, NeededByDays: days, Day: h.settings.Day, Deadlines: deadlinesOf(area), SentBy: p.UserID,
		ContinueAsNewAfter: 500,
	}
	start := h.temporal.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID:                       workflows.RequestWorkflowID(r.ID),
		TaskQueue:                h.settings.TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
		// A request whose workflow failed may be sent again.
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY,
	}, workflows.RequestWorkflowName, in)
	handle, err := h.temporal.UpdateWithStartWorkflow(c.Request.Context(), client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions: client.UpdateWorkflowOptions{
			UpdateID: updateID(c, p, "send/"+r.ID.String()), UpdateName: workflows.SendUpdate,
			WaitForStage: client.WorkflowUpdateStageCompleted,
		},
	})
	if err == nil {
		err = handle.Get(c.Request.Context(), nil)
	}
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		abortWithError(c, http.StatusConflict, "wrong_state", "the request has been sent already", nil)
		return false
	}
	if err != nil {
		h.internalError(c, err)
		return false
	}
	h.respondFresh(c, r.ID)
	return true
}

type answerInput struct {
	Question string `json:"question" binding:"required,max=80"`
	Value    string `json:"value" binding:"required,max=10000"`
}

// actionBody holds the fields of every action; each action reads its own
// and refuses the others' absence where it needs them.
type actionBody struct {
	ProposedReplyDate string        `json:"proposed_reply_date" binding:"omitempty,datetime=2006-01-02"`
	ForwardTo         *uuid.UUID    `json:"forward_to"`
	Handler           *uuid.UUID    `json:"handler"`
	Answers           []answerInput `json:"answers" binding:"max=100,dive"`
	Text              string        `json:"text" binding:"max=10000"`
	TextLang          string        `json:"text_lang" binding:"omitempty,len=2,lowercase"`
	TimelinessRating  int           `json:"timeliness_rating" binding:"omitempty,min=1,max=5"`
	EffortRating      int           `json:"effort_rating" binding:"omitempty,min=1,max=5"`
}

// requestAction sends an official's action to the request's workflow,
// whose validator decides on state and rights, and answers with the
// request once the action is visible.
func (h *handlers) requestAction(action workflows.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in actionBody
		if c.Request.ContentLength != 0 && !h.bindJSON(c, &in) {
			return
		}
		r, pt, ok := h.loadRequest(c)
		if !ok {
			return
		}
		if r.State == models.Draft {
			abortWithError(c, http.StatusConflict, "wrong_state", "the request is a DRAFT: send it first", nil)
			return
		}
		cmd, errs := h.commandOf(c.Request.Context(), action, in, r)
		if len(errs) > 0 {
			fieldErrors(c, errs)
			return
		}
		p := principal(c)
		cmd.Actor = workflows.RequestActor{UserID: p.UserID, AuthorityID: p.Body.ID, Handler: pt.handler, Allocator: pt.allocator}
		if !h.updateRequest(c, r, action, cmd) {
			return
		}
		h.respondFresh(c, r.ID)
	}
}

// updateRequest sends an action to the request's workflow and waits until
// it is recorded; on a refusal or failure it answers the caller and
// reports false.
func (h *handlers) updateRequest(c *gin.Context, r models.Request, action workflows.Action, cmd workflows.RequestCommand) bool {
	handle, err := h.temporal.UpdateWorkflow(c.Request.Context(), client.UpdateWorkflowOptions{
		WorkflowID:   workflows.RequestWorkflowID(r.ID),
		UpdateID:     updateID(c, principal(c), string(action)+"/"+r.ID.String()),
		UpdateName:   string(action),
		Args:         []any{cmd},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err == nil {
		err = handle.Get(c.Request.Context(), nil)
	}
	if err != nil {
		h.actionError(c, err, r)
		return false
	}
	return true
}

// commandOf checks an action's own fields against the request, the
// reference data and the directory.
func (h *handlers) commandOf(ctx context.Context, action workflows.Action, in actionBody, r models.Request) (workflows.RequestCommand, []FieldError) {
	cmd := workflows.RequestCommand{Text: strings.TrimSpace(in.Text), TextLang: in.TextLang,
		TimelinessRating: in.TimelinessRating, EffortRating: in.EffortRating}
	var errs []FieldError
	needText := func() {
		if cmd.Text == "" {
			errs = append(errs, FieldError{Field: "text", Rule: "required"})
		}
	}
	if cmd.Text != "" && !h.ref.HasLanguage(cmd.TextLang) {
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
		target, err := h.store.Authority(ctx, *in.ForwardTo)
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
		users, roles, err := h.store.UsersOf(ctx, r.RespondingAuthority)
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
		answers, answerErrs := h.checkAnswers(r, in.Answers)
		errs = append(errs, answerErrs...)
		cmd.Answers = answers
	case workflows.ActRequestClarification, workflows.ActClarify, workflows.ActMessage, workflows.ActRefer:
		needText()
	}
	return cmd, errs
}

// checkAnswers types each answer as its question says.
func (h *handlers) checkAnswers(r models.Request, in []answerInput) ([]workflows.QuestionAnswer, []FieldError) {
	area, _ := h.ref.cat.Area(r.AreaCode)
	if len(in) == 0 {
		return nil, []FieldError{{Field: "answers", Rule: "required"}}
	}
	var out []workflows.QuestionAnswer
	var errs []FieldError
	seen := map[string]bool{}
	for i, a := range in {
		field := "answers[" + itoa(i) + "]"
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

// actionError maps the workflow's refusal to a status: a state conflict or
// a concurrent action 409, a missing role 403, a bad payload 422.
func (h *handlers) actionError(c *gin.Context, err error, r models.Request) {
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		switch appErr.Type() {
		case workflows.ErrTypeWrongState, workflows.ErrTypeBusy:
			abortWithError(c, http.StatusConflict, "wrong_state", appErr.Message(), gin.H{"state": r.State})
			return
		case workflows.ErrTypeNotAllowed:
			abortWithError(c, http.StatusForbidden, "forbidden", appErr.Message(), nil)
			return
		case workflows.ErrTypeInvalidAction:
			abortWithError(c, http.StatusUnprocessableEntity, "validation_failed", appErr.Message(), nil)
			return
		}
	}
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		abortWithError(c, http.StatusConflict, "wrong_state", "the request is "+r.State+": no action is possible any more", nil)
		return
	}
	h.internalError(c, err)
}
