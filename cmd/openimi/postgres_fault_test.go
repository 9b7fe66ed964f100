package main_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/openimi/openimi/internal/devstack"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

// outage is how long PostgreSQL stays down: longer than the API's
// readiness deadline and than the worker's first activity retries, short
// enough for a test.
const outage = 10 * time.Second

// TestTemporalServer_PostgresStoppedTenSecondsThenEverythingRecovers stops
// the one PostgreSQL cluster that holds both OpenIMI's data and the Temporal
// server's history, as a database failover does, and starts it again.
func TestTemporalServer_PostgresStoppedTenSecondsThenEverythingRecovers(t *testing.T) {
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	pgOpts := devstack.PostgresOptions{DataDir: filepath.Join(t.TempDir(), "pg"), Database: "openimi", Throwaway: true}
	pg, err := devstack.StartPostgres(ctx, log, pgOpts)
	if err != nil {
		t.Fatal(err)
	}
	// pg names the running cluster, the restarted one at the end.
	t.Cleanup(func() { _ = pg.Stop(context.Background()) })
	pgOpts.Port, pgOpts.DataDir = pg.Port, pg.DataDir
	if out, err := run(t, []string{"DATABASE_URL=" + pg.URL}, "migrate"); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	server := temporalServer(t, pg.URL)
	mail := testenv.Mailpit(t)
	apiAddr := freeAddr(t)
	env := []string{
		"DATABASE_URL=" + pg.URL,
		"TEMPORAL_ADDRESS=" + server.Address,
		"TEMPORAL_TASK_QUEUE=pg-fault-" + rand.Text()[:10],
		"SMTP_URL=" + mail.SMTPURL,
		"HTTP_ADDR=" + apiAddr,
		"METRICS_ADDR=" + freeAddr(t),
		"WORKER_HTTP_ADDR=" + freeAddr(t),
		"OPENIMI_DAY=1h",
		"LOG_FORMAT=json",
	}
	db, err := models.Open(ctx, pg.URL, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	store := models.NewStore(db)
	requesterEmail, responderEmail := officialIn(t, store, "ES"), officialIn(t, store, "PT")
	var responder models.User
	if err := db.Take(&responder, "email = ?", responderEmail).Error; err != nil {
		t.Fatal(err)
	}

	apiProc := start(t, env, "api")
	worker := start(t, env, "worker")
	api := apiClient{t: t, base: "http://" + apiAddr}
	waitFor(t, apiProc, api.base+"/readyz", http.StatusOK).Body.Close()
	requesterToken, responderToken := api.login(requesterEmail), api.login(responderEmail)
	ids := api.sendRequests(requesterToken, *responder.AuthorityID, 2)
	api.must(http.MethodPost, "/api/v1/requests/"+ids[0]+"/accept", responderToken, nil, http.StatusOK)

	if err := pg.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, apiProc, api.base+"/readyz", http.StatusServiceUnavailable).Body.Close()
	// The outage's length is the fault itself, not a wait for an event.
	time.Sleep(outage)
	select {
	case <-server.Exited():
		t.Fatal("the Temporal server exited while PostgreSQL was down")
	default:
	}
	if pg, err = devstack.StartPostgres(ctx, log, pgOpts); err != nil {
		t.Fatal(err)
	}
	waitFor(t, apiProc, api.base+"/readyz", http.StatusOK).Body.Close()

	// The Temporal server may still be reconnecting when the API is ready:
	// an action then is refused as unavailable, never half-taken.
	accepted := false
	for deadline := time.Now().Add(60 * time.Second); !accepted; {
		status, out := api.call(http.MethodPost, "/api/v1/requests/"+ids[1]+"/accept", responderToken, nil)
		switch {
		case status == http.StatusOK:
			accepted = true
		case status != http.StatusServiceUnavailable:
			t.Fatalf("accept after PostgreSQL came back: %d %v", status, out)
		case time.Now().After(deadline):
			t.Fatalf("accept still refused 60s after PostgreSQL came back: %v", out)
		default:
			time.Sleep(250 * time.Millisecond)
		}
	}
	answer := map[string]any{"answers": []map[string]string{{"question": "legally-established", "value": "yes"}}}
	for _, id := range ids {
		api.must(http.MethodPost, "/api/v1/requests/"+id+"/answer", responderToken, answer, http.StatusOK)
		out := api.must(http.MethodPost, "/api/v1/requests/"+id+"/close", requesterToken, nil, http.StatusOK)
		if out["state"] != "CLOSED" {
			t.Errorf("request %s is %v after close", id, out["state"])
		}
	}

	// Nothing lost, nothing twice.
	var events int64
	db.Raw("SELECT count(*) FROM request_events WHERE request_id IN ?", ids).Scan(&events)
	if events == 0 {
		t.Error("no events recorded")
	}
	assertNothingTwice(t, db, mail)
	worker.stop(t, syscall.SIGTERM)
	apiProc.stop(t, syscall.SIGTERM)
}
