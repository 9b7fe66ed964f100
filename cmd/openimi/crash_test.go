package main_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

type apiClient struct {
	t    *testing.T
	base string
}

func (a apiClient) call(method, path, token string, body any) (int, map[string]any) {
	a.t.Helper()
	var reader io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		reader = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.base+path, reader)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func (a apiClient) must(method, path, token string, body any, want int) map[string]any {
	a.t.Helper()
	status, out := a.call(method, path, token, body)
	if status != want {
		a.t.Fatalf("%s %s: %d %v, want %d", method, path, status, out, want)
	}
	return out
}

// login signs an official of officialIn in and returns the bearer token.
func (a apiClient) login(email string) string {
	a.t.Helper()
	return a.must(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"email": email, "password": "crash test password"}, http.StatusOK)["token"].(string)
}

// sendRequests drafts and sends n requests to the responding authority,
// and returns their ids.
func (a apiClient) sendRequests(token string, responding uuid.UUID, n int) []string {
	a.t.Helper()
	ids := make([]string, n)
	for i := range ids {
		d := a.must(http.MethodPost, "/api/v1/requests", token, map[string]any{
			"area": "services", "responding_authority": responding.String(), "subject": fmt.Sprintf("Request %d", i),
			"subject_lang": "en", "questions": []string{"legally-established"},
			"needed_by": time.Now().UTC().AddDate(0, 0, 60).Format("2006-01-02"),
		}, http.StatusCreated)
		ids[i] = d["id"].(string)
		a.must(http.MethodPost, "/api/v1/requests/"+ids[i]+"/send", token, nil, http.StatusOK)
	}
	return ids
}

// assertNothingTwice checks, after a fault, that no timeline event was
// recorded twice and that the relay holds exactly the mails of the outbox.
func assertNothingTwice(t *testing.T, db *gorm.DB, mail testenv.Mail) {
	t.Helper()
	var duplicateEvents int64
	db.Raw(`SELECT count(*) FROM (SELECT request_id, kind, details::text AS details FROM request_events
		GROUP BY 1, 2, 3 HAVING count(*) > 1) d`).Scan(&duplicateEvents)
	if duplicateEvents != 0 {
		t.Errorf("%d events recorded twice", duplicateEvents)
	}
	var perRecipient []struct {
		Recipient string
		N         int
	}
	db.Raw("SELECT recipient, count(*) AS n FROM mail_outbox GROUP BY recipient").Scan(&perRecipient)
	if len(perRecipient) == 0 {
		t.Error("no mail was queued for the lifecycles")
	}
	for _, r := range perRecipient {
		got := mail.WaitForMessages(t, r.Recipient, r.N, 30*time.Second)
		if len(got) != r.N {
			t.Errorf("%s received %d mails, the outbox holds %d", r.Recipient, len(got), r.N)
		}
	}
}

// officialIn creates an active authority in the services area with one
// request handler, straight in the database.
func officialIn(t *testing.T, store *models.Store, country string) (email string) {
	t.Helper()
	hash, err := password.Hash("crash test password")
	if err != nil {
		t.Fatal(err)
	}
	email = "official-" + strings.ToLower(rand.Text()[:8]) + "@" + strings.ToLower(country) + ".test"
	a := &models.Authority{Kind: models.CompetentAuthority, CountryCode: country, Level: models.National,
		OfficialName: "Authority " + country, OfficialNameLang: "en", FunctionalMailbox: "box-" + email, Status: models.AuthorityActive,
		Areas: []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}}
	u := &models.User{Email: email, DisplayName: "Official", PreferredLanguage: "en", PasswordHash: hash, Status: models.UserActive}
	err = store.CreateAuthorityWithUser(context.Background(), models.NewAuthorityWithUser{Authority: a, FirstUser: u,
		Roles: []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return email
}

func TestWorker_KilledMidLifecycleAndRestartedCompletesEveryRequestOnce(t *testing.T) {
	ctx := context.Background()
	dbURL := testenv.DatabaseURL(t)
	mail := testenv.Mailpit(t)
	apiAddr := freeAddr(t)
	env := []string{
		"DATABASE_URL=" + dbURL,
		"TEMPORAL_ADDRESS=" + testenv.TemporalAddress(t),
		"TEMPORAL_TASK_QUEUE=crash-" + rand.Text()[:10],
		"SMTP_URL=" + mail.SMTPURL,
		"HTTP_ADDR=" + apiAddr,
		"METRICS_ADDR=" + freeAddr(t),
		"OPENIMI_DAY=1s",
		"LOG_FORMAT=json",
	}
	workerEnv := func() []string { return append(env, "WORKER_HTTP_ADDR="+freeAddr(t)) }
	db, err := models.Open(ctx, dbURL, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	store := models.NewStore(db)
	requesterEmail, responderEmail := officialIn(t, store, "DE"), officialIn(t, store, "PL")
	var responder models.User
	if err := db.Take(&responder, "email = ?", responderEmail).Error; err != nil {
		t.Fatal(err)
	}
	responderAuthority := *responder.AuthorityID

	apiProc := start(t, env, "api")
	worker := start(t, workerEnv(), "worker")
	api := apiClient{t: t, base: "http://" + apiAddr}
	waitFor(t, apiProc, api.base+"/readyz", http.StatusOK).Body.Close()
	requesterToken, responderToken := api.login(requesterEmail), api.login(responderEmail)

	ids := api.sendRequests(requesterToken, responderAuthority, 4)
	answer := map[string]any{"answers": []map[string]string{{"question": "legally-established", "value": "yes"}}}
	api.must(http.MethodPost, "/api/v1/requests/"+ids[0]+"/accept", responderToken, nil, http.StatusOK)
	api.must(http.MethodPost, "/api/v1/requests/"+ids[1]+"/accept", responderToken, nil, http.StatusOK)
	api.must(http.MethodPost, "/api/v1/requests/"+ids[0]+"/answer", responderToken, answer, http.StatusOK)

	// The worker dies without a chance to clean up, while day 3's
	// reminders of the two unaccepted requests come due. It dies between
	// deliveries: a mail the relay had accepted but the worker not yet
	// recorded would go out again under the same Message-ID, which SMTP
	// cannot prevent (see docs/ARCHITECTURE.md).
	outboxDrained := func() bool {
		var waiting int64
		db.Raw("SELECT count(*) FROM mail_outbox WHERE status IN ('pending', 'sending')").Scan(&waiting)
		return waiting == 0
	}
	for drained := time.Now().Add(30 * time.Second); !outboxDrained(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(drained) {
			t.Fatal("the outbox did not drain")
		}
	}
	if err := worker.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-worker.done
	time.Sleep(4 * time.Second)
	restarted := start(t, workerEnv(), "worker")

	reminded := func(id string) bool {
		var n int64
		db.Raw("SELECT count(*) FROM request_events WHERE request_id = ? AND kind = 'acceptance_reminder'", id).Scan(&n)
		return n >= 1
	}
	deadline := time.Now().Add(30 * time.Second)
	for !reminded(ids[2]) || !reminded(ids[3]) {
		if time.Now().After(deadline) {
			t.Fatal("the restarted worker did not send the reminders that came due while it was down")
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, id := range ids[2:] {
		api.must(http.MethodPost, "/api/v1/requests/"+id+"/accept", responderToken, nil, http.StatusOK)
	}
	for _, id := range ids[1:] {
		api.must(http.MethodPost, "/api/v1/requests/"+id+"/answer", responderToken, answer, http.StatusOK)
	}
	for _, id := range ids {
		out := api.must(http.MethodPost, "/api/v1/requests/"+id+"/close", requesterToken, nil, http.StatusOK)
		if out["state"] != "CLOSED" {
			t.Errorf("request %s is %v after close", id, out["state"])
		}
	}

	// Nothing happened twice: no event, no mail.
	assertNothingTwice(t, db, mail)
	restarted.stop(t, syscall.SIGTERM)
	apiProc.stop(t, syscall.SIGTERM)
}
