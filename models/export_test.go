package models

import "io/fs"

// MigrationFiles counts the embedded migrations, for the tests that check
// every one is applied exactly once.
func MigrationFiles() (int, error) {
	entries, err := fs.ReadDir(MigrationFS(), ".")
	return len(entries), err
}
