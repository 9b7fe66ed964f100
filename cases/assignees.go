package cases

import (
	"cmp"
	"context"
	"slices"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

// Assignee is a colleague a request may be assigned to.
type Assignee struct {
	ID          uuid.UUID `json:"id"`
	DisplayName string    `json:"display_name"`
	Email       string    `json:"email"`
}

// Assignees are whom the caller may assign the request to.
type Assignees struct {
	Reference string     `json:"reference"`
	Items     []Assignee `json:"items"`
}

// Assignees lists the active colleagues of the responding authority who
// hold the request handler role in the request's area: the handlers the
// assign action accepts. It is refused as the assign action would be: not
// found to whom the request is unknown, forbidden to another side, a
// coordinator or a caller without the allocator role, a conflict in a
// state that allows no assignment.
func (s *Service) Assignees(ctx context.Context, caller Caller, ref RequestRef) (Assignees, error) {
	if err := s.validate.Check(ref); err != nil {
		return Assignees{}, err
	}
	r, pt, err := s.loadRequest(ctx, caller, RequestRef{ID: ref.ID})
	if err != nil {
		return Assignees{}, err
	}
	if r.State == models.Draft {
		return Assignees{}, ConflictError("wrong_state", "the request is a DRAFT: send it first")
	}
	if pt.Side != workflows.Responding {
		return Assignees{}, ForbiddenError("the request")
	}
	state := workflows.RequestState(r.State)
	if !slices.Contains(workflows.AllowedActions(state, pt.Side, true, true, false), workflows.ActAssign) {
		return Assignees{}, ConflictError("wrong_state", "a request in state %s cannot be assigned", r.State)
	}
	if !slices.Contains(workflows.AllowedActions(state, pt.Side, pt.Handler, pt.Allocator, false), workflows.ActAssign) {
		return Assignees{}, ForbiddenError("the request")
	}
	users, roles, err := s.store.UsersOf(ctx, r.RespondingAuthority)
	if err != nil {
		return Assignees{}, err
	}
	out := Assignees{Reference: r.Reference, Items: []Assignee{}}
	for _, u := range users {
		handler := models.UserRole{UserID: u.ID, Role: models.RequestHandler, AreaCode: r.AreaCode}
		if u.Status == models.UserActive && slices.Contains(roles[u.ID], handler) {
			out.Items = append(out.Items, Assignee{ID: u.ID, DisplayName: u.DisplayName, Email: u.Email})
		}
	}
	slices.SortFunc(out.Items, func(a, b Assignee) int {
		return cmp.Or(cmp.Compare(a.DisplayName, b.DisplayName), cmp.Compare(a.Email, b.Email))
	})
	return out, nil
}
