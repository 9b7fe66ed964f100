package models_test

import (
	"context"
	"database/sql"
	"sync"
	"testing"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

func migrationCount(t *testing.T) int {
	t.Helper()
	entries, err := models.MigrationFiles()
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func openSQL(t *testing.T, url string) *sql.DB {
	t.Helper()
	db, err := models.Open(context.Background(), url, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	return sqlDB
}

func TestMigrate_SecondRunAppliesNothing(t *testing.T) {
	ctx := context.Background()
	db := openSQL(t, testenv.EmptyDatabaseURL(t))

	first, err := models.Migrate(ctx, db, testenv.Logger(t))
	if err != nil {
		t.Fatalf("first run: %v", err)
	}
	if want := migrationCount(t); len(first) != want {
		t.Fatalf("first run applied %d migrations, want all %d", len(first), want)
	}
	second, err := models.Migrate(ctx, db, testenv.Logger(t))
	if err != nil {
		t.Fatalf("second run: %v", err)
	}
	if len(second) != 0 {
		t.Fatalf("second run applied %v, want nothing", second)
	}
}

func TestMigrate_ConcurrentRunsApplyEachMigrationOnce(t *testing.T) {
	ctx := context.Background()
	url := testenv.EmptyDatabaseURL(t)
	const processes = 4
	dbs := make([]*sql.DB, processes)
	for i := range dbs {
		dbs[i] = openSQL(t, url)
	}

	var wg sync.WaitGroup
	applied := make([][]string, processes)
	errs := make([]error, processes)
	for i := range processes {
		wg.Go(func() { applied[i], errs[i] = models.Migrate(ctx, dbs[i], testenv.Logger(t)) })
	}
	wg.Wait()

	total := 0
	for i := range processes {
		if errs[i] != nil {
			t.Errorf("run %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	if want := migrationCount(t); total != want {
		t.Errorf("%d runs applied %d migrations between them, want each of the %d once", processes, total, want)
	}
	var duplicates int
	if err := dbs[0].QueryRowContext(ctx,
		`SELECT count(*) FROM (SELECT version_id FROM schema_migrations WHERE version_id > 0 GROUP BY version_id HAVING count(*) > 1) d`,
	).Scan(&duplicates); err != nil {
		t.Fatal(err)
	}
	if duplicates != 0 {
		t.Errorf("%d versions recorded more than once", duplicates)
	}
}
