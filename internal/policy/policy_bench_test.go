package policy

import (
	"testing"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
)

// Every authenticated call asks the policy at least once, so its cost is
// paid on every request an official makes.

func BenchmarkPrincipal_HasRoleInArea(b *testing.B) {
	// A handler of four areas, the last one asked for: the worst case of
	// the linear scan over grants.
	p := official(plAuthorityID, "PL", "Mazowieckie", models.AuthorityActive,
		Grant{Role: models.LocalDataAdministrator},
		Grant{Role: models.Allocator, Area: "services"},
		Grant{Role: models.RequestHandler, Area: "services"},
		Grant{Role: models.RequestHandler, Area: "professional-qualifications"})
	for b.Loop() {
		if !p.Has(models.RequestHandler, "professional-qualifications") {
			b.Fatal("the handler lost its role")
		}
	}
}

func BenchmarkViewAuthority_PendingAuthorityByAreaScopedCoordinator(b *testing.B) {
	// The longest path: not active, not its own, a delegated coordinator
	// whose scope is checked by country, region and area.
	t := Target{ID: uuid.New(), Country: "PL", Region: "Mazowieckie",
		Areas: []string{"professional-qualifications", "services"}, Status: models.AuthorityPending}
	for b.Loop() {
		if ViewAuthority(plServices, t) != Allow {
			b.Fatal("the coordinator of the area cannot see the authority")
		}
	}
}

func BenchmarkManageUsers_LocalDataAdministrator(b *testing.B) {
	for b.Loop() {
		if ManageUsers(plAdmin, plAuthorityID) != Allow {
			b.Fatal("the administrator cannot manage its users")
		}
	}
}
