package cases

import (
	"context"
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

// coordinatorScope is the caller's reach as a coordinator; ok is false for
// anyone else.
func coordinatorScope(p policy.Principal) (models.CoordinatorScope, bool) {
	b := p.Body
	if b == nil || b.Status != models.AuthorityActive || !b.Kind.IsCoordinator() || !p.Has(models.CoordinatorRole, "") {
		return models.CoordinatorScope{}, false
	}
	if b.Kind == models.NationalCoordinator {
		return models.CoordinatorScope{Country: b.Country}, true
	}
	return models.CoordinatorScope{Country: b.Country, Region: b.Region, Area: b.ScopeArea}, true
}

// DeskInput selects a page of the coordinators' desk.
type DeskInput struct {
	Filter   string `form:"filter" binding:"omitempty,oneof=escalated overdue referred awaiting-acceptance"`
	Page     *int   `form:"page" binding:"omitempty,min=1,max=10000"`
	PageSize *int   `form:"page_size" binding:"omitempty,min=1,max=100"`
}

// DeskItem is a request waiting for a coordinator.
type DeskItem struct {
	RequestSummary
	RequestingCountry string     `json:"requesting_country"`
	RespondingCountry string     `json:"responding_country"`
	SentAt            *time.Time `json:"sent_at,omitempty"`
	EscalatedAt       *time.Time `json:"escalated_at,omitempty"`
	// Reasons say why the request is on the desk.
	Reasons []string `json:"reasons"`
	// CoordinatorOf says which side of the request the caller coordinates.
	CoordinatorOf        []workflows.Side   `json:"coordinator_of"`
	AllowedInterventions []workflows.Action `json:"allowed_interventions"`
}

// DeskPage is a page of the desk.
type DeskPage struct {
	Items    []DeskItem `json:"items"`
	Total    int64      `json:"total"`
	Page     int        `json:"page"`
	PageSize int        `json:"page_size"`
}

// Desk lists what waits for the caller as a coordinator: the open
// requests of either authority in its scope that are escalated, overdue,
// referred or awaiting acceptance, newest escalation first.
func (s *Service) Desk(ctx context.Context, caller Caller, in DeskInput) (DeskPage, error) {
	if err := s.validate.Check(in); err != nil {
		return DeskPage{}, err
	}
	scope, ok := coordinatorScope(caller.Principal)
	if !ok {
		return DeskPage{}, ForbiddenError("the coordinators' desk")
	}
	page, size, err := paging(in.Page, in.PageSize)
	if err != nil {
		return DeskPage{}, err
	}
	now := time.Now()
	rows, total, err := s.store.CoordinationDesk(ctx, models.DeskQuery{
		Scope: scope, Filter: models.DeskFilter(in.Filter), AsOf: now, Day: s.settings.Day, Page: page, PageSize: size,
	})
	if err != nil {
		return DeskPage{}, err
	}
	items := make([]DeskItem, 0, len(rows))
	for _, r := range rows {
		it := DeskItem{
			RequestSummary:    summaryOf(models.RequestListRow{Request: r.Request}, now, s.settings.Day),
			RequestingCountry: r.RequestingCountry, RespondingCountry: r.RespondingCountry,
			SentAt: r.SentAt, EscalatedAt: r.EscalatedAt, Reasons: []string{}, CoordinatorOf: []workflows.Side{},
			AllowedInterventions: workflows.AllowedInterventions(workflows.RequestState(r.State), r.CoordinatesRequesting, r.CoordinatesResponding),
		}
		// The tray and the item's flag are one rule, judged at one moment.
		it.Overdue = r.InOverdue
		for _, tray := range []struct {
			in     bool
			filter models.DeskFilter
		}{{r.InEscalated, models.DeskEscalated}, {r.InOverdue, models.DeskOverdue}, {r.InReferred, models.DeskReferred}, {r.InAwaitingAcceptance, models.DeskAwaitingAcceptance}} {
			if tray.in {
				it.Reasons = append(it.Reasons, string(tray.filter))
			}
		}
		if r.CoordinatesRequesting {
			it.CoordinatorOf = append(it.CoordinatorOf, workflows.Requesting)
		}
		if r.CoordinatesResponding {
			it.CoordinatorOf = append(it.CoordinatorOf, workflows.Responding)
		}
		if it.AllowedInterventions == nil {
			it.AllowedInterventions = []workflows.Action{}
		}
		items = append(items, it)
	}
	return DeskPage{Items: items, Total: total, Page: page, PageSize: size}, nil
}

// Intervention is a coordinator's action and the path the API serves it
// under /requests/{id}/coordination/.
type Intervention struct {
	Path   string
	Action workflows.Action
}

// Interventions lists the coordinators' actions.
func Interventions() []Intervention {
	return []Intervention{
		{"forward", workflows.CoordForward},
		{"accept", workflows.CoordAccept},
		{"chase", workflows.Chase},
		{"note", workflows.CoordNote},
		{"return", workflows.Return},
		{"close", workflows.CoordClose},
	}
}

// InterventionBody holds the fields of every intervention.
type InterventionBody struct {
	Reason     string     `json:"reason" binding:"max=10000"`
	ReasonLang string     `json:"reason_lang" binding:"omitempty,len=2,lowercase"`
	ForwardTo  *uuid.UUID `json:"forward_to"`
	Handler    *uuid.UUID `json:"handler"`
	ReturnTo   string     `json:"return_to" binding:"omitempty,oneof=ANSWERED ACCEPTED"`
}

// InterventionInput is a coordinator's intervention on the request ID.
type InterventionInput struct {
	ID             string           `form:"id"`
	Action         workflows.Action `form:"action"`
	IdempotencyKey string           `form:"Idempotency-Key" binding:"max=200"`
	InterventionBody
}

// Intervene sends a coordinator's intervention to the request's workflow,
// whose validator decides on state and scope, and returns the request as
// the coordinator sees it (without personal data: those are read with a
// reason of their own).
func (s *Service) Intervene(ctx context.Context, caller Caller, in InterventionInput) (RequestView, error) {
	outer := in
	outer.InterventionBody = InterventionBody{}
	if err := s.checkEach(outer, in.InterventionBody); err != nil {
		return RequestView{}, err
	}
	if !workflows.IsIntervention(in.Action) {
		return RequestView{}, NotFoundError("the intervention " + string(in.Action))
	}
	id, err := parseID(in.ID, "the request")
	if err != nil {
		return RequestView{}, err
	}
	r, err := s.store.Request(ctx, id)
	if err != nil {
		return RequestView{}, storeError(err, "the request")
	}
	requesting, responding := false, false
	if r.State != models.Draft {
		requesting, responding = s.coordinatorSides(ctx, caller.Principal, r)
	}
	if !requesting && !responding {
		// Officials of the request, and everyone else, see no such
		// coordinator's action; outsiders not even the request.
		if _, isParty := partyOf(caller.Principal, r); isParty && r.State != models.Draft {
			return RequestView{}, ForbiddenError("coordinators' interventions")
		}
		return RequestView{}, NotFoundError("the request")
	}
	cmd, errs := s.interventionOf(ctx, caller, in.Action, in.InterventionBody, r)
	if len(errs) > 0 {
		return RequestView{}, InvalidFields(errs...)
	}
	cmd.Actor = workflows.RequestActor{UserID: caller.UserID, AuthorityID: caller.Body.ID,
		Coordinator: workflows.CoordinatorScope{Country: caller.Body.Country, Requesting: requesting, Responding: responding}}
	cmd.ExpectedResponding = r.RespondingAuthority
	if err := s.updateRequest(ctx, caller, r, in.Action, cmd, in.IdempotencyKey); err != nil {
		return RequestView{}, err
	}
	return s.fresh(ctx, caller, r.ID, Party{Side: Coordinating, CoordinatesRequesting: requesting, CoordinatesResponding: responding},
		"POST /api/v1/requests/:id/coordination/"+interventionPath(in.Action))
}

// interventionOf checks an intervention's fields: a reason always, the
// authority forwarded to, the handler assigned, the side returned to.
func (s *Service) interventionOf(ctx context.Context, caller Caller, action workflows.Action, in InterventionBody, r models.Request) (workflows.RequestCommand, []FieldError) {
	cmd := workflows.RequestCommand{Text: strings.TrimSpace(in.Reason), TextLang: in.ReasonLang}
	var errs []FieldError
	if len([]rune(cmd.Text)) < minReasonLength {
		errs = append(errs, FieldError{Field: "reason", Rule: "min_length", Param: strconv.Itoa(minReasonLength)})
	}
	if !s.hasLanguage(cmd.TextLang) {
		errs = append(errs, FieldError{Field: "reason_lang", Rule: "known_language_of_the_text", Param: cmd.TextLang})
	}
	switch action {
	case workflows.CoordForward:
		fwd, fwdErrs := s.commandOf(ctx, workflows.ActForward, ActionBody{ForwardTo: in.ForwardTo}, r)
		errs = append(errs, fwdErrs...)
		cmd.ForwardTo, cmd.ForwardToCountry = fwd.ForwardTo, fwd.ForwardToCountry
		if len(fwdErrs) == 0 {
			// A delegated coordinator forwards only within its own scope.
			target, err := s.store.Authority(ctx, fwd.ForwardTo)
			t := targetOf(target)
			t.Areas = []string{r.AreaCode}
			if err != nil || !caller.Coordinates(t) {
				errs = append(errs, FieldError{Field: "forward_to", Rule: "authority_in_your_scope"})
			}
		}
	case workflows.CoordAccept:
		if in.Handler != nil {
			assign, assignErrs := s.commandOf(ctx, workflows.ActAssign, ActionBody{Handler: in.Handler}, r)
			errs = append(errs, assignErrs...)
			cmd.Handler = assign.Handler
		}
	case workflows.Return:
		if in.ReturnTo == "" {
			errs = append(errs, FieldError{Field: "return_to", Rule: "required"})
		}
		cmd.ReturnTo = workflows.RequestState(in.ReturnTo)
	}
	return cmd, errs
}

// interventionPath is the path an intervention is served under.
func interventionPath(a workflows.Action) string {
	all := Interventions()
	i := slices.IndexFunc(all, func(iv Intervention) bool { return iv.Action == a })
	if i < 0 {
		return fmt.Sprint(a)
	}
	return all[i].Path
}
