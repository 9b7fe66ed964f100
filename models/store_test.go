package models_test

import (
	"context"
	"testing"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func TestStore_EnsureHelpdeskAccountCreatesItOnceAndNeverOverwrites(t *testing.T) {
	ctx := context.Background()
	store := models.NewStore(testenv.Database(t))

	created, err := store.EnsureHelpdeskAccount(ctx, "Helpdesk@Example.EU", "hash-1")
	if err != nil || !created {
		t.Fatalf("first call: created=%v err=%v, want created", created, err)
	}
	created, err = store.EnsureHelpdeskAccount(ctx, "helpdesk@example.eu", "hash-2")
	if err != nil || created {
		t.Fatalf("second call with the same address in other case: created=%v err=%v, want untouched", created, err)
	}

	var users []models.User
	if err := store.DB().WithContext(ctx).Find(&users).Error; err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 {
		t.Fatalf("%d accounts, want 1", len(users))
	}
	u := users[0]
	if u.Email != "helpdesk@example.eu" || u.PasswordHash != "hash-1" || !u.IsHelpdesk || u.Status != models.UserActive || u.AuthorityID != nil {
		t.Errorf("account = %+v, want the first call's active helpdesk account", u)
	}
}
