package systemtest

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/models"
)

// Official is a signed-in account of a test.
type Official struct {
	Email       string
	UserID      uuid.UUID
	AuthorityID uuid.UUID
	Token       string
}

// UniqueEmail is an address no other test uses: the mail sink is shared.
func UniqueEmail(who string) string {
	return who + "-" + strings.ToLower(rand.Text()[:10]) + "@openimi.test"
}

// NationalCoordinator puts an active national coordinator body with one
// signed-in coordinator in place, through the store: for tests whose subject
// is what coordinators do, not how they came to be (see the registration
// tests for that).
func (s *System) NationalCoordinator(t testing.TB, country string) Official {
	t.Helper()
	return s.activeBody(t, models.NationalCoordinator, country, "", "",
		[]models.UserRole{{Role: models.CoordinatorRole}, {Role: models.LocalDataAdministrator}}, nil)
}

// Authority puts an active competent authority in place with one signed-in
// official holding the given roles.
func (s *System) Authority(t testing.TB, country, region string, areas []models.AuthorityArea, roles []models.UserRole) Official {
	t.Helper()
	return s.activeBody(t, models.CompetentAuthority, country, region, "", roles, areas)
}

func (s *System) activeBody(t testing.TB, kind models.AuthorityKind, country, region, scopeArea string, roles []models.UserRole, areas []models.AuthorityArea) Official {
	t.Helper()
	email := UniqueEmail(strings.ToLower(country) + "-" + string(kind))
	hash, err := password.Hash(ActivePassword)
	if err != nil {
		t.Fatal(err)
	}
	level := models.National
	if region != "" {
		level = models.Regional
	}
	a := &models.Authority{
		Kind: kind, CountryCode: country, Region: region, Level: level, ScopeArea: scopeArea,
		OfficialName: string(kind) + " " + country + " " + region, OfficialNameLang: "en",
		Designation: models.Translations{"en": string(kind)}, FunctionalMailbox: UniqueEmail("mailbox"),
		Status: models.AuthorityActive, Areas: areas, SearchText: string(kind),
	}
	u := &models.User{Email: email, DisplayName: "Official " + country, PreferredLanguage: "en", PasswordHash: hash, Status: models.UserActive}
	if err := s.Store.CreateAuthorityWithUser(context.Background(), models.NewAuthorityWithUser{Authority: a, FirstUser: u, Roles: roles}, nil); err != nil {
		t.Fatalf("fixture %s %s: %v", kind, country, err)
	}
	return Official{Email: email, UserID: u.ID, AuthorityID: a.ID, Token: s.Login(t, email, ActivePassword)}
}
