package main_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

// TestAuditVerify_ReportsTheAlteredEntryAndExitsWithStatus1 runs the
// command as an operator would, before and after an owner of the database
// rewrites one access-log entry behind the trigger's back.
func TestAuditVerify_ReportsTheAlteredEntryAndExitsWithStatus1(t *testing.T) {
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	db, err := models.Open(ctx, url, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	store := models.NewStore(db)

	var ids [2]uuid.UUID
	var user uuid.UUID
	for i, country := range []string{"DE", "PL"} {
		a := &models.Authority{
			Kind: models.CompetentAuthority, CountryCode: country, Level: models.National,
			OfficialName: "Authority " + uuid.NewString()[:8], OfficialNameLang: "en",
			Designation: models.Translations{"en": "authority"}, FunctionalMailbox: uuid.NewString() + "@openimi.test",
			Status: models.AuthorityActive, Areas: []models.AuthorityArea{{AreaCode: "services"}}, SearchText: "authority",
		}
		u := &models.User{Email: uuid.NewString() + "@openimi.test", DisplayName: "Official", PreferredLanguage: "en", PasswordHash: "x", Status: models.UserActive}
		if err := store.CreateAuthorityWithUser(ctx, models.NewAuthorityWithUser{Authority: a, FirstUser: u}, nil); err != nil {
			t.Fatal(err)
		}
		ids[i] = a.ID
		if i == 0 {
			user = u.ID
		}
	}
	r := models.Request{RequestingAuthority: ids[0], RespondingAuthority: ids[1], CreatedBy: user, AreaCode: "services",
		Subject: "fixture", SubjectLang: "en", Questions: models.StringArray{"q"}, NeededBy: time.Now().AddDate(0, 1, 0)}
	if err := store.CreateDraft(ctx, &r, models.PersonalFields{}); err != nil {
		t.Fatal(err)
	}
	ev := models.RequestEventRecord{RequestID: r.ID, Key: r.ID.String() + "/sent", Kind: "sent", At: time.Now(), ActorUser: &user,
		State: "AWAITING_ACCEPTANCE", RespondingAuthority: ids[1]}
	if _, err := store.RecordRequestEvent(ctx, ev, nil); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := store.LogPersonalDataAccess(ctx, models.AccessLogEntry{RequestID: r.ID, UserID: user, What: fmt.Sprintf("read %d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"DATABASE_URL=" + url, "LOG_FORMAT=json"}

	out, err := run(t, env, "audit", "verify", "--request", r.ID.String())
	if err != nil || !strings.Contains(out, "4 entries in 2 intact chains verified, 0 broken") {
		t.Fatalf("verify of an intact trail: %v, want success and 4 entries:\n%s", err, out)
	}

	var altered int64
	if err := db.Raw("SELECT id FROM personal_data_access_log WHERE request_id = ? AND chain_seq = 2", r.ID).Scan(&altered).Error; err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{
		"ALTER TABLE personal_data_access_log DISABLE TRIGGER personal_data_access_log_append_only",
		fmt.Sprintf("UPDATE personal_data_access_log SET what = 'nothing' WHERE id = %d", altered),
		"ALTER TABLE personal_data_access_log ENABLE TRIGGER personal_data_access_log_append_only",
	} {
		if err := db.Exec(sql).Error; err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}

	for _, args := range [][]string{{"audit", "verify"}, {"audit", "verify", "--request", r.ID.String()}} {
		out, err = run(t, env, args...)
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != 1 {
			t.Fatalf("%v after the change: %v, want exit status 1:\n%s", args, err, out)
		}
		want := fmt.Sprintf("BROKEN: request %s, personal_data_access_log entry %d (position 2)", r.ID, altered)
		if !strings.Contains(out, want) || !strings.Contains(out, "expected ") || !strings.Contains(out, "stored ") {
			t.Fatalf("%v after the change printed:\n%s\nwant a line starting %q with the expected and stored hashes", args, out, want)
		}
	}
}
