// Package testenv gives tests the real components they talk to: a fresh,
// migrated PostgreSQL database per test, a Temporal server and a mail sink.
//
// Under `make test` the components are started once for all packages by
// `openimi stack`, which passes their addresses in DATABASE_URL,
// TEMPORAL_ADDRESS, SMTP_URL and MAILPIT_URL. A package tested on its own
// (`go test ./models/`) starts whatever of them is missing, once, and stops
// it when its tests end.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/internal/devstack"
	"github.com/openimi/openimi/models"
)

// components is started at most once per test binary: a package's tests
// share one stack the way they would share one machine. It is the one piece
// of package state here, and it lives only inside test binaries.
var components struct {
	mu      sync.Mutex
	started []*devstack.Stack
	env     map[string]string
}

// Main runs a package's tests and stops what they started, then runs the
// package's own cleanups. Call it from TestMain:
// `func TestMain(m *testing.M) { testenv.Main(m) }`.
func Main(m *testing.M, cleanups ...func()) {
	code := m.Run()
	for _, c := range cleanups {
		c()
	}
	components.mu.Lock()
	for _, s := range components.started {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if err := s.Stop(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "testenv: stop:", err)
		}
		cancel()
	}
	components.mu.Unlock()
	os.Exit(code)
}

// address returns the component's address from the environment, starting
// the component when it is absent.
func address(t testing.TB, variable string) string {
	t.Helper()
	if v := os.Getenv(variable); v != "" {
		return v
	}
	components.mu.Lock()
	defer components.mu.Unlock()
	if v, ok := components.env[variable]; ok {
		return v
	}
	tools, err := devstack.FindToolsDir()
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	opts := devstack.ThrowawayOptions{ToolsDir: tools}
	switch variable {
	case "DATABASE_URL":
		opts.Postgres = true
	case "TEMPORAL_ADDRESS":
		opts.Temporal = true
	case "SMTP_URL", "MAILPIT_URL":
		opts.Mailpit = true
	default:
		t.Fatalf("testenv: no component provides %s", variable)
	}
	// Not the test's logger: the stack outlives the test that starts it.
	stderr := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stack, err := devstack.StartThrowaway(context.Background(), stderr, opts)
	if err != nil {
		t.Fatalf("testenv: start %s: %v", variable, err)
	}
	components.started = append(components.started, stack)
	if components.env == nil {
		components.env = make(map[string]string)
	}
	for _, kv := range stack.Env() {
		k, v, _ := strings.Cut(kv, "=")
		components.env[k] = v
	}
	return components.env[variable]
}

// TemporalAddress is the host:port of a Temporal frontend serving the
// "default" namespace.
func TemporalAddress(t testing.TB) string { return address(t, "TEMPORAL_ADDRESS") }

// Mail is a real SMTP sink and the API to read what reached it.
type Mail struct {
	SMTPURL string
	APIURL  string
}

// Mailpit returns the sink's addresses.
func Mailpit(t testing.TB) Mail {
	return Mail{SMTPURL: address(t, "SMTP_URL"), APIURL: address(t, "MAILPIT_URL")}
}

// DatabaseURL creates a fresh database with every migration applied and
// returns its URL; the database is dropped when the test ends.
func DatabaseURL(t testing.TB) string {
	t.Helper()
	return createDatabase(t, true)
}

// EmptyDatabaseURL creates a fresh database with no migration applied, for
// tests of the migrations themselves; it is dropped when the test ends.
func EmptyDatabaseURL(t testing.TB) string {
	t.Helper()
	return createDatabase(t, false)
}

func createDatabase(t testing.TB, migrated bool) string {
	t.Helper()
	ctx := context.Background()
	serverURL := address(t, "DATABASE_URL")
	admin, err := withDatabase(serverURL, "postgres")
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("testenv: connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)

	name := "openimi_test_" + randomSuffix()
	create := "CREATE DATABASE " + pgx.Identifier{name}.Sanitize()
	if migrated {
		template, err := ensureTemplate(ctx, t, conn, serverURL)
		if err != nil {
			t.Fatalf("testenv: %v", err)
		}
		create += " TEMPLATE " + pgx.Identifier{template}.Sanitize()
	}
	if _, err := conn.Exec(ctx, create); err != nil {
		t.Fatalf("testenv: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("testenv: drop %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("testenv: drop %s: %v", name, err)
		}
	})
	dbURL, err := withDatabase(serverURL, name)
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return dbURL
}

// Database opens a fresh migrated database (see DatabaseURL).
func Database(t testing.TB) *gorm.DB {
	t.Helper()
	db, err := models.Open(context.Background(), DatabaseURL(t), Logger(t))
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	return db
}

// ensureTemplate builds, once per set of migrations and reference data, a
// database that fresh test databases are copied from: copying is far faster
// than migrating each. It holds what `openimi migrate` leaves: the schema and
// the reference data. An advisory lock keeps packages tested in parallel
// from building it twice.
func ensureTemplate(ctx context.Context, t testing.TB, conn *pgx.Conn, serverURL string) (string, error) {
	digest, err := migrationsDigest()
	if err != nil {
		return "", err
	}
	name := "openimi_template_" + digest
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(hashtext('openimi-test-template'))"); err != nil {
		return "", fmt.Errorf("lock template: %w", err)
	}
	defer func() { _, _ = conn.Exec(ctx, "SELECT pg_advisory_unlock(hashtext('openimi-test-template'))") }()

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return "", fmt.Errorf("look up template: %w", err)
	}
	if exists {
		return name, nil
	}
	// Built under another name and renamed when complete, so that a run
	// that dies half-way never leaves a template missing migrations.
	building := name + "_building"
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{building}.Sanitize()+" WITH (FORCE)"); err != nil {
		return "", fmt.Errorf("drop half-built template: %w", err)
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{building}.Sanitize()); err != nil {
		return "", fmt.Errorf("create template: %w", err)
	}
	buildURL, err := withDatabase(serverURL, building)
	if err != nil {
		return "", err
	}
	db, err := models.Open(ctx, buildURL, Logger(t))
	if err != nil {
		return "", err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return "", fmt.Errorf("template connection: %w", err)
	}
	buildErr := migrateAndSync(ctx, t, db)
	if err := sqlDB.Close(); err != nil {
		return "", fmt.Errorf("close template connection: %w", err)
	}
	if buildErr != nil {
		return "", buildErr
	}
	if _, err := conn.Exec(ctx, fmt.Sprintf("ALTER DATABASE %s RENAME TO %s",
		pgx.Identifier{building}.Sanitize(), pgx.Identifier{name}.Sanitize())); err != nil {
		return "", fmt.Errorf("publish template: %w", err)
	}
	return name, nil
}

func migrateAndSync(ctx context.Context, t testing.TB, db *gorm.DB) error {
	sqlDB, err := db.DB()
	if err != nil {
		return fmt.Errorf("template connection: %w", err)
	}
	if _, err := models.Migrate(ctx, sqlDB, Logger(t)); err != nil {
		return err
	}
	cat, err := catalog.Load()
	if err != nil {
		return err
	}
	_, err = models.NewStore(db).SyncCatalog(ctx, cat)
	return err
}

// migrationsDigest names the template after everything it is built from:
// the migrations and the reference-data files, so that a changed question
// builds a new template rather than serving the old text.
func migrationsDigest() (string, error) {
	h := sha256.New()
	for _, source := range []struct {
		prefix string
		files  fs.FS
	}{
		{"migrations/", models.MigrationFS()},
		{"catalog/", catalog.Files()},
	} {
		err := fs.WalkDir(source.files, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			b, err := fs.ReadFile(source.files, path)
			if err != nil {
				return err
			}
			fmt.Fprintf(h, "%s%s\x00%d\x00", source.prefix, path, len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("read %s: %w", source.prefix, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:12], nil
}

func withDatabase(serverURL, database string) (string, error) {
	u, err := url.Parse(serverURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: %w", err)
	}
	u.Path = "/" + database
	return u.String(), nil
}

func randomSuffix() string {
	return strings.ToLower(rand.Text()[:12])
}

// Logger writes through the test's log, so output shows only for failures
// and with -v.
func Logger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(b []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(b), "\n"))
	return len(b), nil
}
