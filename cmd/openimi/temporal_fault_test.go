package main_test

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/openimi/openimi/internal/devstack"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

// temporalServer starts a Temporal server of the test's own on the test
// stack's PostgreSQL cluster, in databases of its own, so that the test may
// kill it without disturbing the other tests. It is skipped where the
// server has not been built, except under `make test-cluster`.
func temporalServer(t *testing.T, pgURL string) *devstack.TemporalServer {
	t.Helper()
	tools, err := devstack.FindToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	binary := filepath.Join(tools, "temporal-server")
	if _, err := os.Stat(binary); err != nil {
		if os.Getenv("OPENIMI_TEMPORAL") == "server" {
			t.Fatalf("the Temporal server is not built: %v", err)
		}
		t.Skipf("the Temporal server is not built (make cluster-tools): %v", err)
	}
	dynamicConfig, err := devstack.FindRepoFile(filepath.Join("deploy", "temporal", "dynamicconfig.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	suffix := strings.ToLower(rand.Text()[:8])
	opts := devstack.TemporalServerOptions{
		Binary:             binary,
		SchemaTool:         filepath.Join(tools, "temporal-sql-tool"),
		PostgresURL:        pgURL,
		Database:           "temporal_" + suffix,
		VisibilityDatabase: "temporal_visibility_" + suffix,
		DynamicConfig:      dynamicConfig,
		Dir:                t.TempDir(),
	}
	t.Cleanup(func() { dropDatabases(t, pgURL, opts.Database, opts.VisibilityDatabase) })
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	server, err := devstack.StartTemporalServer(context.Background(), log, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := server.Stop(ctx); err != nil {
			t.Errorf("stop the Temporal server: %v", err)
		}
	})
	return server
}

func dropDatabases(t *testing.T, pgURL string, names ...string) {
	u, err := url.Parse(pgURL)
	if err != nil {
		t.Error(err)
		return
	}
	u.Path = "/postgres"
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Errorf("drop Temporal's databases: %v", err)
		return
	}
	defer conn.Close(ctx)
	for _, name := range names {
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop %s: %v", name, err)
		}
	}
}

func TestTemporalServer_KilledMidLifecycleAndRestartedCompletesEveryRequestOnce(t *testing.T) {
	ctx := context.Background()
	dbURL := testenv.DatabaseURL(t)
	server := temporalServer(t, dbURL)
	mail := testenv.Mailpit(t)
	apiAddr := freeAddr(t)
	env := []string{
		"DATABASE_URL=" + dbURL,
		"TEMPORAL_ADDRESS=" + server.Address,
		"TEMPORAL_TASK_QUEUE=temporal-fault-" + rand.Text()[:10],
		"SMTP_URL=" + mail.SMTPURL,
		"HTTP_ADDR=" + apiAddr,
		"METRICS_ADDR=" + freeAddr(t),
		"WORKER_HTTP_ADDR=" + freeAddr(t),
		"OPENIMI_DAY=1h",
		"LOG_FORMAT=json",
	}
	db, err := models.Open(ctx, dbURL, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	store := models.NewStore(db)
	requesterEmail, responderEmail := officialIn(t, store, "FR"), officialIn(t, store, "IT")
	var responder models.User
	if err := db.Take(&responder, "email = ?", responderEmail).Error; err != nil {
		t.Fatal(err)
	}

	apiProc := start(t, env, "api")
	worker := start(t, env, "worker")
	api := apiClient{t: t, base: "http://" + apiAddr}
	waitFor(t, apiProc, api.base+"/readyz", http.StatusOK).Body.Close()
	requesterToken, responderToken := api.login(requesterEmail), api.login(responderEmail)

	// Every request is sent with update-with-start, which a server without
	// it refuses: the first thing this topology must prove.
	ids := api.sendRequests(requesterToken, *responder.AuthorityID, 3)
	answer := map[string]any{"answers": []map[string]string{{"question": "legally-established", "value": "yes"}}}
	api.must(http.MethodPost, "/api/v1/requests/"+ids[0]+"/accept", responderToken, nil, http.StatusOK)
	api.must(http.MethodPost, "/api/v1/requests/"+ids[0]+"/answer", responderToken, answer, http.StatusOK)
	api.must(http.MethodPost, "/api/v1/requests/"+ids[1]+"/accept", responderToken, nil, http.StatusOK)

	// The whole Temporal server dies as a crashed node does; the API
	// reports itself unready, so that a load balancer stops sending it work.
	if err := server.Kill(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, apiProc, api.base+"/readyz", http.StatusServiceUnavailable).Body.Close()

	// Restarted on the same databases and ports, as a pod is: the history
	// on PostgreSQL carries every run on, and the worker reconnects.
	if err := server.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, apiProc, api.base+"/readyz", http.StatusOK).Body.Close()
	api.must(http.MethodPost, "/api/v1/requests/"+ids[2]+"/accept", responderToken, nil, http.StatusOK)
	for _, id := range ids[1:] {
		api.must(http.MethodPost, "/api/v1/requests/"+id+"/answer", responderToken, answer, http.StatusOK)
	}
	for _, id := range ids {
		out := api.must(http.MethodPost, "/api/v1/requests/"+id+"/close", requesterToken, nil, http.StatusOK)
		if out["state"] != "CLOSED" {
			t.Errorf("request %s is %v after close", id, out["state"])
		}
	}

	assertNothingTwice(t, db, mail)
	worker.stop(t, syscall.SIGTERM)
	apiProc.stop(t, syscall.SIGTERM)
	if t.Failed() {
		t.Logf("the Temporal server ran at %s", server.Address)
	}
}
