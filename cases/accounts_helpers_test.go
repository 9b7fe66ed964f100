package cases_test

import (
	"testing"

	"gorm.io/gorm"
)

// clearLimits forgets every recorded attempt, so that a benchmark's calls
// do not meet the limits they are not measuring.
func clearLimits(tb testing.TB, db *gorm.DB) {
	tb.Helper()
	if err := db.Exec("DELETE FROM auth_attempts").Error; err != nil {
		tb.Fatal(err)
	}
}
