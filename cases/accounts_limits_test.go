package cases

import (
	"testing"

	"github.com/openimi/openimi/models"
)

func TestLoginRefusal_RefusesTheGuessersAddressNeverTheFamiliarOne(t *testing.T) {
	for _, tc := range []struct {
		name    string
		counts  models.LoginCounts
		refused bool
	}{
		{"first try", models.LoginCounts{}, false},
		{"four misses from here", models.LoginCounts{Pair: 4, Client: 4, Account: 4}, false},
		{"five misses from here", models.LoginCounts{Pair: 5, Client: 5, Account: 5}, true},
		{"others guessed five times elsewhere", models.LoginCounts{Account: 5}, false},
		{"this address sprayed twenty accounts", models.LoginCounts{Client: 20}, true},
		{"spread-out attack, new address", models.LoginCounts{Account: 20}, true},
		{"spread-out attack, familiar address", models.LoginCounts{Account: 200, Familiar: true}, false},
		{"familiar address guessing itself", models.LoginCounts{Pair: 5, Account: 5, Familiar: true}, true},
	} {
		err := loginRefusal(tc.counts)
		if got := err != nil; got != tc.refused {
			t.Errorf("%s: refused = %v, want %v", tc.name, got, tc.refused)
			continue
		}
		if err != nil && (err.(*Error).Kind != TooMany || err.(*Error).RetryAfter <= 0) {
			t.Errorf("%s: %+v, want TooMany with a RetryAfter", tc.name, err)
		}
	}
}
