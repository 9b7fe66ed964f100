package policy

import (
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
)

// The cast of the authorisation matrix: who is asking.
var (
	plAuthorityID = uuid.New()
	deAuthorityID = uuid.New()

	helpdesk = Principal{UserID: uuid.New(), Helpdesk: true}

	plNational = coordinator(models.NationalCoordinator, "PL", "", "")
	plRegional = coordinator(models.DelegatedCoordinator, "PL", "Mazowieckie", "")
	plServices = coordinator(models.DelegatedCoordinator, "PL", "", "services")
	deNational = coordinator(models.NationalCoordinator, "DE", "", "")
	// A coordinator body's official without the coordinator role.
	plNationalClerk = Principal{UserID: uuid.New(), Body: plNational.Body}

	plAdmin   = official(plAuthorityID, "PL", "Mazowieckie", models.AuthorityActive, Grant{Role: models.LocalDataAdministrator})
	plHandler = official(plAuthorityID, "PL", "Mazowieckie", models.AuthorityActive, Grant{Role: models.RequestHandler, Area: "services"})
	deAdmin   = official(deAuthorityID, "DE", "Bayern", models.AuthorityActive, Grant{Role: models.LocalDataAdministrator})
	// An administrator whose authority was suspended acts for nobody.
	plSuspendedAdmin = official(plAuthorityID, "PL", "Mazowieckie", models.AuthoritySuspended, Grant{Role: models.LocalDataAdministrator})
)

func coordinator(kind models.AuthorityKind, country, region, area string) Principal {
	return Principal{
		UserID: uuid.New(),
		Body:   &Body{ID: uuid.New(), Kind: kind, Country: country, Region: region, ScopeArea: area, Status: models.AuthorityActive},
		Grants: []Grant{{Role: models.CoordinatorRole}},
	}
}

func official(body uuid.UUID, country, region string, status models.AuthorityStatus, grants ...Grant) Principal {
	return Principal{
		UserID: uuid.New(),
		Body:   &Body{ID: body, Kind: models.CompetentAuthority, Country: country, Region: region, Status: status},
		Grants: grants,
	}
}

// The resources: authorities as the scope checks see them.
var (
	plServicesInMazowieckie = Target{ID: plAuthorityID, Country: "PL", Region: "Mazowieckie", Areas: []string{"services"}, Status: models.AuthorityActive}
	plPQInPomorskie         = Target{ID: uuid.New(), Country: "PL", Region: "Pomorskie", Areas: []string{"professional-qualifications"}, Status: models.AuthorityPending}
	deInBayern              = Target{ID: deAuthorityID, Country: "DE", Region: "Bayern", Areas: []string{"services"}, Status: models.AuthorityActive}
)

func TestPolicy_Matrix(t *testing.T) {
	cases := []struct {
		action string
		who    string
		p      Principal
		check  func(Principal) Decision
		want   Decision
	}{
		// Only the helpdesk registers national coordinators.
		{"create national coordinator", "helpdesk", helpdesk, CreateNationalCoordinator, Allow},
		{"create national coordinator", "PL national", plNational, CreateNationalCoordinator, Forbidden},
		{"create national coordinator", "PL admin", plAdmin, CreateNationalCoordinator, Forbidden},

		// Delegated coordinators: the helpdesk, or the national coordinator of that country.
		{"create PL delegated coordinator", "helpdesk", helpdesk, func(p Principal) Decision { return CreateDelegatedCoordinator(p, "PL") }, Allow},
		{"create PL delegated coordinator", "PL national", plNational, func(p Principal) Decision { return CreateDelegatedCoordinator(p, "PL") }, Allow},
		{"create PL delegated coordinator", "DE national", deNational, func(p Principal) Decision { return CreateDelegatedCoordinator(p, "PL") }, Forbidden},
		{"create PL delegated coordinator", "PL regional", plRegional, func(p Principal) Decision { return CreateDelegatedCoordinator(p, "PL") }, Forbidden},
		{"create PL delegated coordinator", "PL clerk without role", plNationalClerk, func(p Principal) Decision { return CreateDelegatedCoordinator(p, "PL") }, Forbidden},

		// Invitations inside the coordinator's country and region.
		{"invite in PL/Pomorskie", "PL national", plNational, func(p Principal) Decision { return InviteAuthority(p, "PL", "Pomorskie") }, Allow},
		{"invite in PL/Pomorskie", "PL regional (Mazowieckie)", plRegional, func(p Principal) Decision { return InviteAuthority(p, "PL", "Pomorskie") }, Forbidden},
		{"invite in PL/Mazowieckie", "PL regional (Mazowieckie)", plRegional, func(p Principal) Decision { return InviteAuthority(p, "PL", "Mazowieckie") }, Allow},
		{"invite in PL/Pomorskie", "PL services", plServices, func(p Principal) Decision { return InviteAuthority(p, "PL", "Pomorskie") }, Allow},
		{"invite in PL", "DE national", deNational, func(p Principal) Decision { return InviteAuthority(p, "PL", "") }, Forbidden},
		{"invite in PL", "helpdesk", helpdesk, func(p Principal) Decision { return InviteAuthority(p, "PL", "") }, Forbidden},
		{"invite in PL", "PL admin", plAdmin, func(p Principal) Decision { return InviteAuthority(p, "PL", "") }, Forbidden},
		{"invite in PL", "PL clerk without role", plNationalClerk, func(p Principal) Decision { return InviteAuthority(p, "PL", "") }, Forbidden},

		// Deciding a registration: coordinators of the scope; the registrant sees but cannot decide; others learn nothing.
		{"decide PL services/Mazowieckie", "PL national", plNational, func(p Principal) Decision { return DecideRegistration(p, plServicesInMazowieckie) }, Allow},
		{"decide PL services/Mazowieckie", "PL regional", plRegional, func(p Principal) Decision { return DecideRegistration(p, plServicesInMazowieckie) }, Allow},
		{"decide PL services/Mazowieckie", "PL services", plServices, func(p Principal) Decision { return DecideRegistration(p, plServicesInMazowieckie) }, Allow},
		{"decide PL PQ/Pomorskie", "PL regional", plRegional, func(p Principal) Decision { return DecideRegistration(p, plPQInPomorskie) }, NotFound},
		{"decide PL PQ/Pomorskie", "PL services", plServices, func(p Principal) Decision { return DecideRegistration(p, plPQInPomorskie) }, NotFound},
		{"decide PL services/Mazowieckie", "DE national", deNational, func(p Principal) Decision { return DecideRegistration(p, plServicesInMazowieckie) }, NotFound},
		{"decide PL services/Mazowieckie", "its own admin", plAdmin, func(p Principal) Decision { return DecideRegistration(p, plServicesInMazowieckie) }, Forbidden},
		{"decide PL services/Mazowieckie", "helpdesk", helpdesk, func(p Principal) Decision { return DecideRegistration(p, plServicesInMazowieckie) }, NotFound},
		{"view registration PL services/Mazowieckie", "its own admin", plAdmin, func(p Principal) Decision { return ViewRegistration(p, plServicesInMazowieckie) }, Allow},
		{"view registration PL services/Mazowieckie", "DE admin", deAdmin, func(p Principal) Decision { return ViewRegistration(p, plServicesInMazowieckie) }, NotFound},

		// Registering an authority directly: coordinators of the scope.
		{"register PL PQ/Pomorskie", "PL national", plNational, func(p Principal) Decision { return RegisterAuthority(p, plPQInPomorskie) }, Allow},
		{"register PL PQ/Pomorskie", "PL regional", plRegional, func(p Principal) Decision { return RegisterAuthority(p, plPQInPomorskie) }, Forbidden},
		{"register DE/Bayern", "PL national", plNational, func(p Principal) Decision { return RegisterAuthority(p, deInBayern) }, Forbidden},

		// Viewing authorities: active ones by all; pending ones by their members, coordinators and the helpdesk.
		{"view active DE authority", "PL handler", plHandler, func(p Principal) Decision { return ViewAuthority(p, deInBayern) }, Allow},
		{"view pending PL authority", "DE admin", deAdmin, func(p Principal) Decision { return ViewAuthority(p, plPQInPomorskie) }, NotFound},
		{"view pending PL authority", "PL national", plNational, func(p Principal) Decision { return ViewAuthority(p, plPQInPomorskie) }, Allow},
		{"view pending PL authority", "PL regional (other region)", plRegional, func(p Principal) Decision { return ViewAuthority(p, plPQInPomorskie) }, NotFound},
		{"view pending PL authority", "helpdesk", helpdesk, func(p Principal) Decision { return ViewAuthority(p, plPQInPomorskie) }, Allow},

		// Users: the local data administrator of the authority, nobody else.
		{"manage PL users", "PL admin", plAdmin, func(p Principal) Decision { return ManageUsers(p, plAuthorityID) }, Allow},
		{"manage PL users", "PL handler", plHandler, func(p Principal) Decision { return ManageUsers(p, plAuthorityID) }, Forbidden},
		{"manage PL users", "DE admin", deAdmin, func(p Principal) Decision { return ManageUsers(p, plAuthorityID) }, NotFound},
		{"manage PL users", "PL national", plNational, func(p Principal) Decision { return ManageUsers(p, plAuthorityID) }, NotFound},
		{"manage PL users", "helpdesk", helpdesk, func(p Principal) Decision { return ManageUsers(p, plAuthorityID) }, NotFound},
		{"manage PL users", "suspended PL admin", plSuspendedAdmin, func(p Principal) Decision { return ManageUsers(p, plAuthorityID) }, Forbidden},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s", tc.action, tc.who), func(t *testing.T) {
			if got := tc.check(tc.p); got != tc.want {
				t.Errorf("%s by %s: %v, want %v", tc.action, tc.who, got, tc.want)
			}
		})
	}
}

func TestPrincipal_PerAreaRolesCountOnlyInTheirArea(t *testing.T) {
	if !plHandler.Has(models.RequestHandler, "services") {
		t.Error("handler for services lacks the role in services")
	}
	if plHandler.Has(models.RequestHandler, "professional-qualifications") {
		t.Error("handler for services holds the role in another area")
	}
	if !plAdmin.Has(models.LocalDataAdministrator, "services") {
		t.Error("an authority-wide role must hold in every area")
	}
}
