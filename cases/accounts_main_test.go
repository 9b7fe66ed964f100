package cases_test

import (
	"testing"

	"github.com/openimi/openimi/system/testenv"
)

// TestMain stops what the tests of this package started (a throw-away
// PostgreSQL when none is given): one per package, whoever's tests need it.
func TestMain(m *testing.M) { testenv.Main(m) }
