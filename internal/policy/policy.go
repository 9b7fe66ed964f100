// Package policy decides who may do what in OpenIMI, in one place. Every
// handler asks a function here; none decides on its own.
//
// A resource outside the caller's reach is reported as not found, so that
// its existence does not leak; a forbidden action on a resource the caller
// may see is reported as forbidden.
package policy

import (
	"slices"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
)

// Decision is the outcome of a policy check.
type Decision int

// The outcomes, in the order the API maps them to 2xx, 403 and 404.
const (
	Allow Decision = iota
	Forbidden
	NotFound
)

func (d Decision) String() string {
	switch d {
	case Allow:
		return "allow"
	case Forbidden:
		return "forbidden"
	default:
		return "not found"
	}
}

// Body is the authority a principal belongs to, as policies see it.
type Body struct {
	ID        uuid.UUID
	Kind      models.AuthorityKind
	Country   string
	Region    string
	ScopeArea string
	Status    models.AuthorityStatus
}

// Grant is a role held, for an area when the role is per area.
type Grant struct {
	Role models.Role
	Area string
}

// Principal is the authenticated caller.
type Principal struct {
	UserID   uuid.UUID
	Email    string
	Language string
	Helpdesk bool
	// Body is nil for the helpdesk.
	Body   *Body
	Grants []Grant
}

// Has reports whether the principal holds the role; for a per-area role,
// in that area.
func (p Principal) Has(role models.Role, area string) bool {
	if !role.PerArea() {
		area = ""
	}
	return slices.Contains(p.Grants, Grant{Role: role, Area: area})
}

// activeBody is the principal's authority when it is active: a pending or
// suspended authority acts for nobody.
func (p Principal) activeBody() *Body {
	if p.Body == nil || p.Body.Status != models.AuthorityActive {
		return nil
	}
	return p.Body
}

// Target is an authority as seen by the checks of coordinator scope.
type Target struct {
	ID      uuid.UUID
	Country string
	Region  string
	Areas   []string
	Status  models.AuthorityStatus
}

// coordinates reports whether the principal is a coordinator whose scope
// covers the target: a national coordinator its whole country, a delegated
// one its region and/or area.
func (p Principal) coordinates(t Target) bool {
	b := p.activeBody()
	if b == nil || !b.Kind.IsCoordinator() || !p.Has(models.CoordinatorRole, "") || b.Country != t.Country {
		return false
	}
	if b.Kind == models.NationalCoordinator {
		return true
	}
	if b.Region != "" && b.Region != t.Region {
		return false
	}
	if b.ScopeArea != "" && !slices.Contains(t.Areas, b.ScopeArea) {
		return false
	}
	return true
}

// Coordinates reports whether the principal coordinates the target.
func (p Principal) Coordinates(t Target) bool { return p.coordinates(t) }

// IsNationalCoordinator reports whether the principal speaks for the
// national coordinator of country.
func (p Principal) IsNationalCoordinator(country string) bool {
	b := p.activeBody()
	return b != nil && b.Kind == models.NationalCoordinator && b.Country == country && p.Has(models.CoordinatorRole, "")
}

// CreateNationalCoordinator: only the helpdesk registers national coordinators.
func CreateNationalCoordinator(p Principal) Decision {
	if p.Helpdesk {
		return Allow
	}
	return Forbidden
}

// CreateDelegatedCoordinator: the helpdesk, or the national coordinator of
// that country.
func CreateDelegatedCoordinator(p Principal, country string) Decision {
	if p.Helpdesk || p.IsNationalCoordinator(country) {
		return Allow
	}
	return Forbidden
}

// InviteAuthority: a coordinator whose scope covers the invitee's country
// and region; an invitation names no area yet, so an area-scoped delegated
// coordinator may invite only within its region.
func InviteAuthority(p Principal, country, region string) Decision {
	b := p.activeBody()
	if b == nil || !b.Kind.IsCoordinator() || !p.Has(models.CoordinatorRole, "") || b.Country != country {
		return Forbidden
	}
	if b.Kind == models.DelegatedCoordinator && b.Region != "" && b.Region != region {
		return Forbidden
	}
	return Allow
}

// RegisterAuthority: a coordinator registering an authority directly, which
// is then validated by that act.
func RegisterAuthority(p Principal, t Target) Decision {
	if p.coordinates(t) {
		return Allow
	}
	return Forbidden
}

// ViewRegistration: coordinators of the scope, and members of the
// registering authority itself. Others learn nothing of it.
func ViewRegistration(p Principal, t Target) Decision {
	if p.coordinates(t) || (p.Body != nil && p.Body.ID == t.ID) {
		return Allow
	}
	return NotFound
}

// DecideRegistration: a coordinator of the scope approves or rejects;
// the registering authority may see its registration but not decide it.
func DecideRegistration(p Principal, t Target) Decision {
	if p.coordinates(t) {
		return Allow
	}
	if p.Body != nil && p.Body.ID == t.ID {
		return Forbidden
	}
	return NotFound
}

// ViewAuthority: an active authority is visible to every signed-in user;
// one that is not active only to its own members, its coordinators and the
// helpdesk.
func ViewAuthority(p Principal, t Target) Decision {
	switch {
	case t.Status == models.AuthorityActive,
		p.Helpdesk,
		p.Body != nil && p.Body.ID == t.ID,
		p.coordinates(t):
		return Allow
	}
	return NotFound
}

// ManageUsers: a local data administrator manages the users of its own
// authority and nobody else's.
func ManageUsers(p Principal, authority uuid.UUID) Decision {
	b := p.activeBody()
	if b != nil && b.ID == authority && p.Has(models.LocalDataAdministrator, "") {
		return Allow
	}
	if p.Body != nil && p.Body.ID == authority {
		return Forbidden
	}
	return NotFound
}

// InRequestArea: need-to-know for a request is per legislative area. An
// official of a party authority takes part in a request only with a role
// in its area (request handler or allocator); colleagues without one are
// told it does not exist (SPEC §4).
func InRequestArea(p Principal, area string) bool {
	return p.Has(models.RequestHandler, area) || p.Has(models.Allocator, area)
}

// RequestAreas are the areas in which the principal takes part in
// requests, for the boxes: the store lists only requests of these.
func RequestAreas(p Principal) []string {
	var out []string
	for _, g := range p.Grants {
		if g.Role.PerArea() && g.Area != "" && !slices.Contains(out, g.Area) {
			out = append(out, g.Area)
		}
	}
	return out
}
