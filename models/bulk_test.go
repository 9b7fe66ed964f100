package models_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/demo"
	"github.com/openimi/openimi/system/testenv"
)

// fakeCompetences stands in for the reference data: each term is its own
// code, and doctors are known by a few words in other languages.
type fakeCompetences struct{}

func (fakeCompetences) Match(area, term string) []string {
	return []string{strings.ReplaceAll(term, " ", "-")}
}

func seedDirectory(t *testing.T, n int) (*models.Store, demo.Directory) {
	t.Helper()
	store := models.NewStore(testenv.Database(t))
	dir, err := demo.Generate(n, fakeCompetences{})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.BulkCreateDirectory(context.Background(), dir.Batch("$2a$10$notarealhashbutwellformedenoughxxxxxxxxxxxxxxxxxxxxxx")); err != nil {
		t.Fatal(err)
	}
	return store, dir
}

func tableRows(t *testing.T, store *models.Store, table string) int64 {
	t.Helper()
	var n int64
	if err := store.DB().Raw("SELECT count(*) FROM " + table).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBulk_LoadedAuthoritiesReadBackAsGenerated(t *testing.T) {
	ctx := context.Background()
	store, dir := seedDirectory(t, 300)
	if got := tableRows(t, store, "authorities"); got != 330 {
		t.Fatalf("%d authorities, want 300 and 30 coordinators", got)
	}
	for _, want := range []models.Authority{dir.Authorities[0], dir.Authorities[299], dir.Coordinators[7]} {
		got, err := store.Authority(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.OfficialName != want.OfficialName || got.OfficialNameLang != want.OfficialNameLang || got.Kind != want.Kind ||
			got.Level != want.Level || got.Region != want.Region || got.City != want.City || got.Status != want.Status ||
			got.FunctionalMailbox != want.FunctionalMailbox || got.Designation["en"] != want.Designation["en"] ||
			len(got.Designation) != len(want.Designation) || got.Description["en"] != want.Description["en"] {
			t.Errorf("read back %+v\nwant %+v", got, want)
		}
		if len(got.Areas) != len(want.Areas) {
			t.Fatalf("%q: areas %v, want %v", want.OfficialName, got.Areas, want.Areas)
		}
		for i := range got.Areas {
			if got.Areas[i].AreaCode != want.Areas[i].AreaCode || !slices.Equal(got.Areas[i].Competences, want.Areas[i].Competences) {
				t.Errorf("%q: area %v, want %v", want.OfficialName, got.Areas[i], want.Areas[i])
			}
		}
	}
}

func TestBulk_OfficialsCanBeFoundWithTheirRoles(t *testing.T) {
	ctx := context.Background()
	store, dir := seedDirectory(t, 100)
	u, err := store.UserByEmail(ctx, "Handler.PL@"+demo.LoginDomain)
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != models.UserActive || u.PasswordHash == "" || u.AuthorityID == nil || u.PreferredLanguage != "pl" {
		t.Fatalf("handler.pl = %+v", u)
	}
	users, roles, err := store.UsersOf(ctx, *u.AuthorityID)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 3 {
		t.Fatalf("%d users at the handler's authority, want admin, handler and allocator", len(users))
	}
	var handlerAreas []string
	for _, r := range roles[u.ID] {
		if r.Role == models.RequestHandler {
			handlerAreas = append(handlerAreas, r.AreaCode)
		}
	}
	if !slices.Equal(handlerAreas, []string{demo.ProfessionalQualifications, demo.Services}) {
		t.Errorf("handler.pl handles %v", handlerAreas)
	}
	coords, err := store.CoordinatorRecipients(ctx, "PL", "", nil, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(coords) != 1 || coords[0].Email != "coordinator.pl@"+demo.LoginDomain {
		t.Errorf("coordinators of PL = %v", coords)
	}
	if got, want := tableRows(t, store, "users"), int64(len(dir.Officials)); got != want {
		t.Errorf("%d users, want %d", got, want)
	}
}

func TestBulk_ASeededMedicalChamberIsFoundByWordsOfItsCompetences(t *testing.T) {
	ctx := context.Background()
	store, dir := seedDirectory(t, 1000)
	i := slices.IndexFunc(dir.Authorities, func(a models.Authority) bool {
		return strings.HasPrefix(a.Designation["en"], "Medical Chamber of") && a.CountryCode == "DE"
	})
	if i < 0 {
		t.Fatal("no German medical chamber among 1,000 authorities")
	}
	chamber := dir.Authorities[i]
	for _, words := range []string{"medecin", "MÉDECIN", "arzt", "Lekarz", "doct", chamber.OfficialName} {
		found, total, err := store.SearchAuthorities(ctx, models.AuthoritySearch{
			Words: words, Country: "DE", Area: demo.ProfessionalQualifications, Competence: "doctor", Page: 1, PageSize: 100,
		})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(found, func(a models.Authority) bool { return a.ID == chamber.ID }) {
			t.Errorf("%q does not find %q among %d results", words, chamber.OfficialName, total)
		}
	}
	found, _, err := store.SearchAuthorities(ctx, models.AuthoritySearch{Words: "Ärztekammer", Page: 1, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) == 0 {
		t.Error("no authority found by its German designation Ärztekammer")
	}
}

func TestBulk_RefusesADirectoryThatHasAuthorities(t *testing.T) {
	ctx := context.Background()
	store, dir := seedDirectory(t, 50)
	before := tableRows(t, store, "authorities")
	err := store.BulkCreateDirectory(ctx, dir.Batch(""))
	if !errors.Is(err, models.ErrDirectoryNotEmpty) || !errors.Is(err, models.ErrConflict) {
		t.Fatalf("second load: %v, want ErrDirectoryNotEmpty", err)
	}
	if after := tableRows(t, store, "authorities"); after != before {
		t.Errorf("%d authorities after the refused load, %d before", after, before)
	}
	empty, err := store.DirectoryIsEmpty(ctx)
	if err != nil || empty {
		t.Errorf("DirectoryIsEmpty = %v, %v", empty, err)
	}
}

func TestBulk_ALoadThatFailsLeavesNothing(t *testing.T) {
	ctx := context.Background()
	store := models.NewStore(testenv.Database(t))
	dir, err := demo.Generate(40, fakeCompetences{})
	if err != nil {
		t.Fatal(err)
	}
	batch := dir.Batch("")
	twin := batch.Users[0]
	twin.ID = uuid.New()
	twin.Email = strings.ToUpper(twin.Email)
	batch.Users = append(batch.Users, twin)
	if err := store.BulkCreateDirectory(ctx, batch); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("load with one address twice: %v, want a conflict", err)
	}
	for _, table := range []string{"authorities", "authority_areas", "users", "user_roles"} {
		if n := tableRows(t, store, table); n != 0 {
			t.Errorf("%d rows in %s after a failed load", n, table)
		}
	}
	empty, err := store.DirectoryIsEmpty(ctx)
	if err != nil || !empty {
		t.Errorf("DirectoryIsEmpty = %v, %v", empty, err)
	}
}
