package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func TestReadDatabaseClock_ReturnsTheDatabasesTimeInUTC(t *testing.T) {
	a := &activities.Activities{Store: models.NewStore(testenv.Database(t))}
	got, err := a.ReadDatabaseClock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got.Location() != time.UTC {
		t.Errorf("location %v, want UTC", got.Location())
	}
	if d := time.Since(got); d < -time.Minute || d > time.Minute {
		t.Errorf("database clock %v is not now", got)
	}
}
