package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
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

type deskQuery struct {
	Filter   string `form:"filter" binding:"omitempty,oneof=escalated overdue referred awaiting-acceptance"`
	Page     *int   `form:"page" binding:"omitempty,min=1,max=10000"`
	PageSize *int   `form:"page_size" binding:"omitempty,min=1,max=100"`
}

type deskItem struct {
	requestSummary
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

// coordinationDesk lists what waits for the caller as a coordinator: the
// open requests of either authority in its scope that are escalated,
// overdue, referred or awaiting acceptance, newest escalation first.
func (h *handlers) coordinationDesk(c *gin.Context) {
	var q deskQuery
	if !h.bindQuery(c, &q) {
		return
	}
	scope, ok := coordinatorScope(principal(c))
	if !ok {
		deny(c, policy.Forbidden, "the coordinators' desk")
		return
	}
	page, size, ok := paging(c, q.Page, q.PageSize, defaultPageSize)
	if !ok {
		return
	}
	rows, total, err := h.store.CoordinationDesk(c.Request.Context(), models.DeskQuery{
		Scope: scope, Filter: models.DeskFilter(q.Filter), Page: page, PageSize: size,
	})
	if err != nil {
		h.internalError(c, err)
		return
	}
	items := make([]deskItem, 0, len(rows))
	for _, r := range rows {
		it := deskItem{
			requestSummary: requestSummary{
				ID: r.ID, Reference: r.Reference, Area: r.AreaCode, State: r.State, Subject: r.Subject,
				RequestingAuthority: r.RequestingAuthority, RespondingAuthority: r.RespondingAuthority,
				NeededBy: r.NeededBy.Format(dateLayout), ReplyDueAt: r.ReplyDue, Overdue: r.Overdue,
				Escalated: r.EscalatedAt != nil, UpdatedAt: r.UpdatedAt.UTC(),
			},
			RequestingCountry: r.RequestingCountry, RespondingCountry: r.RespondingCountry,
			SentAt: r.SentAt, EscalatedAt: r.EscalatedAt, Reasons: []string{}, CoordinatorOf: []workflows.Side{},
			AllowedInterventions: workflows.AllowedInterventions(workflows.RequestState(r.State), r.CoordinatesRequesting, r.CoordinatesResponding),
		}
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
	c.JSON(http.StatusOK, gin.H{"items": items, "total": total, "page": page, "page_size": size})
}

// interventionRoutes are the paths below /requests/{id}/coordination/ and
// the updates they send.
var interventionRoutes = []struct {
	path   string
	action workflows.Action
}{
	{"forward", workflows.CoordForward},
	{"accept", workflows.CoordAccept},
	{"chase", workflows.Chase},
	{"note", workflows.CoordNote},
	{"return", workflows.Return},
	{"close", workflows.CoordClose},
}

type interventionBody struct {
	Reason     string     `json:"reason" binding:"max=10000"`
	ReasonLang string     `json:"reason_lang" binding:"omitempty,len=2,lowercase"`
	ForwardTo  *uuid.UUID `json:"forward_to"`
	Handler    *uuid.UUID `json:"handler"`
	ReturnTo   string     `json:"return_to" binding:"omitempty,oneof=ANSWERED ACCEPTED"`
}

// intervene sends a coordinator's intervention to the request's workflow,
// whose validator decides on state and scope, and answers with the request
// as the coordinator sees it (without personal data: those are read with a
// reason of their own).
func (h *handlers) intervene(action workflows.Action) gin.HandlerFunc {
	return func(c *gin.Context) {
		var in interventionBody
		if !h.bindJSON(c, &in) {
			return
		}
		id, ok := pathID(c, "id", "the request")
		if !ok {
			return
		}
		r, err := h.store.Request(c.Request.Context(), id)
		if err != nil {
			h.storeError(c, err, "the request")
			return
		}
		requesting, responding := false, false
		if r.State != models.Draft {
			requesting, responding = h.coordinatorSides(c, r)
		}
		if !requesting && !responding {
			// Officials of the request, and everyone else, see no such
			// coordinator's action; outsiders not even the request.
			if _, isParty := partyOf(principal(c), r); isParty && r.State != models.Draft {
				deny(c, policy.Forbidden, "coordinators' interventions")
				return
			}
			deny(c, policy.NotFound, "the request")
			return
		}
		cmd, errs := h.interventionOf(c, action, in, r)
		if len(errs) > 0 {
			fieldErrors(c, errs)
			return
		}
		p := principal(c)
		cmd.Actor = workflows.RequestActor{UserID: p.UserID, AuthorityID: p.Body.ID,
			Coordinator: workflows.CoordinatorScope{Country: p.Body.Country, Requesting: requesting, Responding: responding}}
		cmd.ExpectedResponding = r.RespondingAuthority
		if !h.updateRequest(c, r, action, cmd) {
			return
		}
		fresh, err := h.store.Request(c.Request.Context(), r.ID)
		if err != nil {
			h.internalError(c, err)
			return
		}
		h.respondRequest(c, fresh, http.StatusOK, party{side: coordinating,
			coordinatesRequesting: requesting, coordinatesResponding: responding})
	}
}

// interventionOf checks an intervention's fields: a reason always, the
// authority forwarded to, the handler assigned, the side returned to.
func (h *handlers) interventionOf(c *gin.Context, action workflows.Action, in interventionBody, r models.Request) (workflows.RequestCommand, []FieldError) {
	ctx := c.Request.Context()
	cmd := workflows.RequestCommand{Text: strings.TrimSpace(in.Reason), TextLang: in.ReasonLang}
	var errs []FieldError
	if len([]rune(cmd.Text)) < minReasonLength {
		errs = append(errs, FieldError{Field: "reason", Rule: "min_length", Param: itoa(minReasonLength)})
	}
	if !h.ref.HasLanguage(cmd.TextLang) {
		errs = append(errs, FieldError{Field: "reason_lang", Rule: "known_language_of_the_text", Param: cmd.TextLang})
	}
	switch action {
	case workflows.CoordForward:
		fwd, fwdErrs := h.commandOf(ctx, workflows.ActForward, actionBody{ForwardTo: in.ForwardTo}, r)
		errs = append(errs, fwdErrs...)
		cmd.ForwardTo, cmd.ForwardToCountry = fwd.ForwardTo, fwd.ForwardToCountry
		if len(fwdErrs) == 0 {
			// A delegated coordinator forwards only within its own scope.
			target, err := h.store.Authority(ctx, fwd.ForwardTo)
			t := targetOf(target)
			t.Areas = []string{r.AreaCode}
			if err != nil || !principal(c).Coordinates(t) {
				errs = append(errs, FieldError{Field: "forward_to", Rule: "authority_in_your_scope"})
			}
		}
	case workflows.CoordAccept:
		if in.Handler != nil {
			assign, assignErrs := h.commandOf(ctx, workflows.ActAssign, actionBody{Handler: in.Handler}, r)
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
