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
		{"four misses from here", models.LoginCounts{Pair: 4, Client: 4, AccountAddresses: 1}, false},
		{"five misses from here", models.LoginCounts{Pair: 5, Client: 5, AccountAddresses: 1}, true},
		{"others guessed from nine addresses", models.LoginCounts{AccountAddresses: 9}, false},
		{"this address sprayed twenty accounts", models.LoginCounts{Client: 20}, true},
		{"spread-out attack, new address", models.LoginCounts{AccountAddresses: 10}, true},
		{"spread-out attack, familiar address", models.LoginCounts{AccountAddresses: 200, Familiar: true}, false},
		{"familiar address guessing itself", models.LoginCounts{Pair: 5, AccountAddresses: 1, Familiar: true}, true},
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
