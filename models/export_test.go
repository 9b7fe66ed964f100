package models

import "io/fs"

// MigrationFiles counts the embedded migrations, for the tests that check
// every one is applied exactly once.
func MigrationFiles() (int, error) {
	entries, err := fs.ReadDir(MigrationFS(), ".")
	return len(entries), err
}

// SetSearchPlan sets the thresholds by which a search by words chooses how
// to find its matches, until the test ends, so that a small directory can
// take every path.
func SetSearchPlan(t interface{ Cleanup(func()) }, collectBelow int64, collectLimit, walkFirst int) {
	saved := searchPlan
	searchPlan.collectBelow, searchPlan.collectLimit, searchPlan.walkFirst = collectBelow, collectLimit, walkFirst
	t.Cleanup(func() { searchPlan = saved })
}
