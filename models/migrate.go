package models

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// MigrationFS is the set of versioned SQL migrations built into the binary.
func MigrationFS() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		// The folder is embedded at build time; its absence is a build bug.
		panic(err)
	}
	return sub
}

// Migrate applies every pending migration in order. A PostgreSQL advisory
// lock held for the whole run makes it safe to start from several processes
// at once: the others wait, then find nothing left to do.
func Migrate(ctx context.Context, db *sql.DB, log *slog.Logger) (applied []string, err error) {
	locker, err := lock.NewPostgresSessionLocker(
		// Retry each second for five minutes: long enough for another
		// process's migrations, short enough to surface a stuck lock.
		lock.WithLockTimeout(1, 300),
	)
	if err != nil {
		return nil, fmt.Errorf("migration lock: %w", err)
	}
	provider, err := goose.NewProvider(goose.DialectPostgres, db, MigrationFS(),
		goose.WithSessionLocker(locker),
		goose.WithTableName("schema_migrations"),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return nil, fmt.Errorf("load migrations: %w", err)
	}
	results, err := provider.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("apply migrations: %w", err)
	}
	for _, r := range results {
		applied = append(applied, r.Source.Path)
		log.InfoContext(ctx, "migration applied", "file", r.Source.Path, "took", r.Duration.String())
	}
	return applied, nil
}
