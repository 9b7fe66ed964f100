package cases

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

const dateLayout = "2006-01-02"

// maxNeededByDays bounds how far ahead a needed-by date may lie.
const maxNeededByDays = 366

// minReasonLength keeps a coordinator's reason for reading personal data
// from being a formality.
const minReasonLength = 10

// Coordinating is the part of a coordinator whose scope covers one of the
// two authorities of a request.
const Coordinating workflows.Side = "coordinator"

// The draft's own actions, listed in a draft's allowed_actions beside the
// workflow's.
const (
	DraftEdit   workflows.Action = "edit"
	DraftDelete workflows.Action = "delete"
	DraftSend   workflows.Action = "send"
)

// Party is the caller's part in a request.
type Party struct {
	Side workflows.Side
	// Authority is the caller's own.
	Authority uuid.UUID
	Handler   bool
	Allocator bool
	// Reason is a coordinator's recorded reason for reading personal data.
	Reason string
	// CoordinatesRequesting and CoordinatesResponding say, for a
	// coordinator, which of the two authorities its scope covers.
	CoordinatesRequesting, CoordinatesResponding bool
}

// partyOf tells the caller's part in a request; ok is false for a caller
// outside it, who is told the request does not exist. A draft belongs to
// the requesting authority alone, and need-to-know is per area: an
// official without a role in the request's area is outside it.
func partyOf(p policy.Principal, r models.Request) (Party, bool) {
	b := p.Body
	if b == nil || b.Status != models.AuthorityActive || !policy.InRequestArea(p, r.AreaCode) {
		return Party{}, false
	}
	pt := Party{Authority: b.ID, Handler: p.Has(models.RequestHandler, r.AreaCode), Allocator: p.Has(models.Allocator, r.AreaCode)}
	switch {
	case b.ID == r.RequestingAuthority:
		pt.Side = workflows.Requesting
	case b.ID == r.RespondingAuthority && r.State != models.Draft:
		pt.Side = workflows.Responding
	default:
		return Party{}, false
	}
	return pt, true
}

// parseID reads a path id; a malformed one names nothing that exists.
func parseID(id, what string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.Nil, NotFoundError(what)
	}
	return u, nil
}

// storeError turns the store's sentinel errors into a use case's.
func storeError(err error, what string) error {
	switch {
	case errors.Is(err, models.ErrNotFound):
		return NotFoundError(what)
	case errors.Is(err, models.ErrNotDraft):
		return ConflictError("wrong_state", "the request is being sent or has been sent already")
	case errors.Is(err, models.ErrConflict):
		return ConflictError("conflict", "%s", err.Error())
	}
	return err
}

// RequestRef names a request, with a coordinator's reason for reading its
// personal data.
type RequestRef struct {
	ID string `form:"id"`
	// Reason is a coordinator's reason for reading personal data (the
	// reason query parameter).
	Reason string `form:"reason" binding:"max=10000"`
}

// loadRequest loads a request for a caller who is part of it, as an
// official of one of its authorities or a coordinator of either.
func (s *Service) loadRequest(ctx context.Context, caller Caller, ref RequestRef) (models.Request, Party, error) {
	id, err := parseID(ref.ID, "the request")
	if err != nil {
		return models.Request{}, Party{}, err
	}
	r, err := s.store.Request(ctx, id)
	if err != nil {
		return models.Request{}, Party{}, storeError(err, "the request")
	}
	pt, ok := partyOf(caller.Principal, r)
	if !ok && r.State != models.Draft {
		if requesting, responding := s.coordinatorSides(ctx, caller.Principal, r); requesting || responding {
			pt, ok = Party{Side: Coordinating, Reason: strings.TrimSpace(ref.Reason),
				CoordinatesRequesting: requesting, CoordinatesResponding: responding}, true
		}
	}
	if !ok {
		return models.Request{}, Party{}, NotFoundError("the request")
	}
	return r, pt, nil
}

// targetOf is an authority as the coordinators' scope checks see it.
func targetOf(a models.Authority) policy.Target {
	t := policy.Target{ID: a.ID, Country: a.CountryCode, Region: a.Region, Status: a.Status}
	for _, area := range a.Areas {
		t.Areas = append(t.Areas, area.AreaCode)
	}
	return t
}

// coordinatorSides tells which of a request's two authorities the caller
// coordinates.
func (s *Service) coordinatorSides(ctx context.Context, p policy.Principal, r models.Request) (requesting, responding bool) {
	if p.Body == nil || !p.Body.Kind.IsCoordinator() {
		return false, false
	}
	covers := func(id uuid.UUID) bool {
		a, err := s.store.Authority(ctx, id)
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

// checkEach validates an input part by part: the validator names a rule
// broken inside an embedded struct after the struct ("ActionBody.text"),
// where the caller wrote "text".
func (s *Service) checkEach(parts ...any) error {
	for _, p := range parts {
		if err := s.validate.Check(p); err != nil {
			return err
		}
	}
	return nil
}

// ---- drafts ----

// DraftInput holds a draft's fields; on an edit, those given replace the
// draft's.
type DraftInput struct {
	Area                *string            `json:"area" binding:"omitempty,min=1,max=60"`
	RespondingAuthority *uuid.UUID         `json:"responding_authority"`
	Subject             *string            `json:"subject" binding:"omitempty,min=1,max=300"`
	SubjectLang         *string            `json:"subject_lang" binding:"omitempty,len=2,lowercase"`
	Questions           *[]string          `json:"questions" binding:"omitempty,min=1,max=60,dive,required,max=80"`
	FreeText            *string            `json:"free_text" binding:"omitempty,max=10000"`
	FreeTextLang        *string            `json:"free_text_lang" binding:"omitempty,len=2,lowercase"`
	PersonalData        *map[string]string `json:"personal_data" binding:"omitempty,max=30,dive,keys,min=1,max=60,endkeys,required,max=1000"`
	NeededBy            *string            `json:"needed_by" binding:"omitempty,datetime=2006-01-02"`
}

// EditDraftInput is an edit of the draft ID.
type EditDraftInput struct {
	ID string `form:"id"`
	DraftInput
}

func required[T any](errs []FieldError, field string, v *T) []FieldError {
	if v == nil {
		return append(errs, FieldError{Field: field, Rule: "required"})
	}
	return errs
}

// DraftRequest starts a request of the caller's authority in one of the
// areas the caller handles requests in.
func (s *Service) DraftRequest(ctx context.Context, caller Caller, in DraftInput) (RequestView, error) {
	if err := s.validate.Check(in); err != nil {
		return RequestView{}, err
	}
	var errs []FieldError
	errs = required(errs, "area", in.Area)
	errs = required(errs, "responding_authority", in.RespondingAuthority)
	errs = required(errs, "subject", in.Subject)
	errs = required(errs, "subject_lang", in.SubjectLang)
	errs = required(errs, "questions", in.Questions)
	errs = required(errs, "needed_by", in.NeededBy)
	if len(errs) > 0 {
		return RequestView{}, InvalidFields(errs...)
	}
	p := caller.Principal
	if p.Body == nil || p.Body.Status != models.AuthorityActive || !p.Has(models.RequestHandler, *in.Area) {
		return RequestView{}, ForbiddenError("requests in area " + *in.Area)
	}
	r := models.Request{RequestingAuthority: p.Body.ID, CreatedBy: p.UserID}
	personal := models.PersonalFields{}
	if errs := s.applyDraft(ctx, &r, &personal, in, p.Body.Country); len(errs) > 0 {
		return RequestView{}, InvalidFields(errs...)
	}
	if err := s.store.CreateDraft(ctx, &r, personal); err != nil {
		return RequestView{}, err
	}
	return s.viewFor(ctx, caller, r, Party{}, "POST /api/v1/requests")
}

// applyDraft checks the fields given against the reference data and the
// directory, and applies them.
func (s *Service) applyDraft(ctx context.Context, r *models.Request, personal *models.PersonalFields, in DraftInput, ownCountry string) []FieldError {
	var errs []FieldError
	if in.Area != nil {
		r.AreaCode = *in.Area
	}
	area, ok := s.catalog.Area(r.AreaCode)
	if !ok {
		return []FieldError{{Field: "area", Rule: "known_area", Param: r.AreaCode}}
	}
	if in.RespondingAuthority != nil {
		r.RespondingAuthority = *in.RespondingAuthority
	}
	if in.RespondingAuthority != nil || in.Area != nil {
		target, err := s.store.Authority(ctx, r.RespondingAuthority)
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
		if !s.hasLanguage(r.SubjectLang) {
			errs = append(errs, FieldError{Field: "subject_lang", Rule: "known_language", Param: r.SubjectLang})
		}
	}
	if in.Questions != nil {
		seen := map[string]bool{}
		r.Questions = nil
		for i, code := range *in.Questions {
			if _, ok := area.Question(code); !ok {
				errs = append(errs, FieldError{Field: "questions[" + strconv.Itoa(i) + "]", Rule: "question_of_the_area", Param: code})
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
				errs = append(errs, FieldError{Field: "questions[" + strconv.Itoa(i) + "]", Rule: "question_of_the_area", Param: code})
			}
		}
	}
	if in.FreeText != nil {
		r.FreeText = *in.FreeText
	}
	if in.FreeTextLang != nil {
		r.FreeTextLang = *in.FreeTextLang
	}
	if r.FreeText != "" && !s.hasLanguage(r.FreeTextLang) {
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

// loadDraft loads a request for an action on it as a draft: by a request
// handler of its requesting authority.
func (s *Service) loadDraft(ctx context.Context, caller Caller, id string) (models.Request, error) {
	r, pt, err := s.loadRequest(ctx, caller, RequestRef{ID: id})
	if err != nil {
		return models.Request{}, err
	}
	if pt.Side != workflows.Requesting || !pt.Handler {
		return models.Request{}, ForbiddenError("the draft")
	}
	return r, nil
}

var (
	errInvalidDraft  = errors.New("invalid draft")
	errForbiddenArea = errors.New("no request handler role in that area")
)

// EditDraft edits a draft; a sent request is changed only by actions.
func (s *Service) EditDraft(ctx context.Context, caller Caller, in EditDraftInput) (RequestView, error) {
	if err := s.checkEach(RequestRef{ID: in.ID}, in.DraftInput); err != nil {
		return RequestView{}, err
	}
	current, err := s.loadDraft(ctx, caller, in.ID)
	if err != nil {
		return RequestView{}, err
	}
	if err := s.releaseAbandonedClaim(ctx, current); err != nil {
		return RequestView{}, err
	}
	var errs []FieldError
	updated, err := s.store.UpdateDraft(ctx, current.ID, func(r *models.Request, personal models.PersonalFields) (models.PersonalFields, error) {
		if in.Area != nil && !caller.Has(models.RequestHandler, *in.Area) {
			return nil, errForbiddenArea
		}
		errs = s.applyDraft(ctx, r, &personal, in.DraftInput, caller.Body.Country)
		if len(errs) > 0 {
			return nil, errInvalidDraft
		}
		return personal, nil
	})
	switch {
	case errors.Is(err, errInvalidDraft):
		return RequestView{}, InvalidFields(errs...)
	case errors.Is(err, errForbiddenArea):
		return RequestView{}, ForbiddenError("requests in area " + *in.Area)
	case err != nil:
		return RequestView{}, storeError(err, "the request")
	}
	return s.viewFor(ctx, caller, updated, Party{}, "PATCH /api/v1/requests/:id")
}

// DeleteDraft deletes a draft; a sent request is never deleted.
func (s *Service) DeleteDraft(ctx context.Context, caller Caller, ref RequestRef) error {
	if err := s.validate.Check(ref); err != nil {
		return err
	}
	r, err := s.loadDraft(ctx, caller, ref.ID)
	if err != nil {
		return err
	}
	if err := s.releaseAbandonedClaim(ctx, r); err != nil {
		return err
	}
	if err := s.store.DeleteDraft(ctx, r.ID); err != nil {
		return storeError(err, "the request")
	}
	return nil
}

// Request is the caller's view of one request.
func (s *Service) Request(ctx context.Context, caller Caller, ref RequestRef) (RequestView, error) {
	if err := s.validate.Check(ref); err != nil {
		return RequestView{}, err
	}
	r, pt, err := s.loadRequest(ctx, caller, ref)
	if err != nil {
		return RequestView{}, err
	}
	return s.viewFor(ctx, caller, r, pt, "GET /api/v1/requests/:id")
}

// fresh reloads a request after an action and shows it to the caller.
func (s *Service) fresh(ctx context.Context, caller Caller, id uuid.UUID, pt Party, what string) (RequestView, error) {
	r, err := s.store.Request(ctx, id)
	if err != nil {
		return RequestView{}, fmt.Errorf("reload request %s: %w", id, err)
	}
	return s.viewFor(ctx, caller, r, pt, what)
}
