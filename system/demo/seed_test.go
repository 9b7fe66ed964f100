package demo

import (
	"context"
	"errors"
	"testing"

	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestSeed_SeedingTwiceDoesNotDouble(t *testing.T) {
	ctx := context.Background()
	store := models.NewStore(testenv.Database(t))
	seeded, err := Seed(ctx, store, fakeCompetences{}, 200)
	if err != nil {
		t.Fatal(err)
	}
	if seeded.Authorities != 200 || seeded.Coordinators != 30 || len(seeded.Officials) != 120 {
		t.Fatalf("seeded %+v", seeded)
	}
	if _, err := Seed(ctx, store, fakeCompetences{}, 200); !errors.Is(err, models.ErrDirectoryNotEmpty) {
		t.Fatalf("second seed: %v, want ErrDirectoryNotEmpty", err)
	}
	var n int64
	if err := store.DB().Raw("SELECT count(*) FROM authorities").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if n != 230 {
		t.Errorf("%d authorities after seeding twice, want 230", n)
	}
	u, err := store.UserByEmail(ctx, "coordinator.es@"+LoginDomain)
	if err != nil {
		t.Fatal(err)
	}
	if !password.Matches(u.PasswordHash, Password) {
		t.Error("the demo password does not open coordinator.es")
	}
}
