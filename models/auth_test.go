package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func TestRecordAttempt_CountsEarlierAttemptsInTheWindowAndForgetsOldOnesAFewAtATime(t *testing.T) {
	db := testenv.Database(t)
	store := models.NewStore(db)
	ctx := context.Background()
	now := time.Now()
	since, keep := now.Add(-time.Hour), now.Add(-24*time.Hour)

	// Fifteen attempts from two days ago: outside every window.
	for range 15 {
		if err := db.Exec("INSERT INTO auth_attempts (action, subject, client_ip, at) VALUES ('password_reset_request', 'a@example.eu', '192.0.2.1', now() - interval '2 days')").Error; err != nil {
			t.Fatal(err)
		}
	}
	record := func(subject, client string) models.AttemptCounts {
		t.Helper()
		n, err := store.RecordAttempt(ctx, models.PasswordResetRequested, subject, client, since, keep)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := record("a@example.eu", "192.0.2.1"); n != (models.AttemptCounts{}) {
		t.Errorf("first attempt in the window: %+v, want none before it", n)
	}
	if n := record("a@example.eu", "192.0.2.2"); n != (models.AttemptCounts{Subject: 1, Client: 0}) {
		t.Errorf("same address, other client: %+v", n)
	}
	if n := record("b@example.eu", "192.0.2.2"); n != (models.AttemptCounts{Subject: 0, Client: 1}) {
		t.Errorf("other address, same client: %+v", n)
	}
	// Link uses are counted apart, and an empty subject is no subject.
	if n, err := store.RecordAttempt(ctx, models.LinkUsed, "", "192.0.2.2", since, keep); err != nil || n != (models.AttemptCounts{}) {
		t.Errorf("first link use: %+v, %v", n, err)
	}
	if n, err := store.RecordAttempt(ctx, models.LinkUsed, "", "192.0.2.3", since, keep); err != nil || n != (models.AttemptCounts{}) {
		t.Errorf("a link use from another client: %+v, %v (an empty subject must not match)", n, err)
	}
	var old int64
	if err := db.Raw("SELECT count(*) FROM auth_attempts WHERE at < now() - interval '1 day'").Scan(&old).Error; err != nil {
		t.Fatal(err)
	}
	if old != 0 {
		t.Errorf("%d old attempts left after five recorded (each forgets up to ten)", old)
	}
}
