package cases_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

// BenchmarkRequestPasswordReset_KnownAndUnknownAddress measures a reset
// request for an address with an active account and for one without,
// against a real PostgreSQL. The two must take about the same time, or the
// answer's delay tells who has an account; the medians are the figures to
// compare (the mean is swayed by the odd slow commit).
func BenchmarkRequestPasswordReset_KnownAndUnknownAddress(b *testing.B) {
	db := testenv.Database(b)
	store := models.NewStore(db)
	svc := cases.New(cases.Deps{Log: testenv.Logger(b), Store: store})
	ctx := context.Background()

	// Enough accounts that no address meets its limit within a run; the
	// limits' own records are cleared between calls, outside the timing.
	const accounts = 64
	known := make([]string, accounts)
	for i := range known {
		known[i] = fmt.Sprintf("known-%d@openimi.test", i)
		u := models.User{Email: known[i], DisplayName: "Known", PasswordHash: "x", PreferredLanguage: "en", IsHelpdesk: true, Status: models.UserActive}
		if err := db.Create(&u).Error; err != nil {
			b.Fatal(err)
		}
	}
	// Known and unknown addresses alternate, so that both meet the same
	// load on a shared machine.
	var knownTook, unknown []time.Duration
	call := func(i int, address string) time.Duration {
		caller := cases.Caller{Address: fmt.Sprintf("192.0.2.%d", i%200)}
		start := time.Now()
		err := svc.RequestPasswordReset(ctx, caller, cases.PasswordResetRequestInput{Email: address})
		took := time.Since(start)
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		clearLimits(b, db)
		b.StartTimer()
		return took
	}
	i := 0
	for b.Loop() {
		knownTook = append(knownTook, call(i, known[i%accounts]))
		unknown = append(unknown, call(i, fmt.Sprintf("unknown-%d@openimi.test", i%accounts)))
		i++
	}
	b.ReportMetric(median(knownTook), "known-median-µs")
	b.ReportMetric(median(unknown), "unknown-median-µs")
}

func median(d []time.Duration) float64 {
	slices.Sort(d)
	return float64(d[len(d)/2].Microseconds())
}

// BenchmarkResetPassword_MadeUpToken is what an anonymous caller with a
// made-up token costs: a lookup, not a bcrypt hash (tens of ms), since the
// link is looked up before the password is hashed.
func BenchmarkResetPassword_MadeUpToken(b *testing.B) {
	db := testenv.Database(b)
	svc := cases.New(cases.Deps{Log: testenv.Logger(b), Store: models.NewStore(db)})
	ctx := context.Background()
	for b.Loop() {
		err := svc.ResetPassword(ctx, cases.Caller{Address: "192.0.2.1"}, cases.SetPasswordInput{Token: "made-up", Password: "a long enough passphrase"})
		if e := cases.AsError(err); e == nil || e.Kind != cases.Gone {
			b.Fatalf("ResetPassword with a made-up token = %v, want Gone", err)
		}
		b.StopTimer()
		clearLimits(b, db)
		b.StartTimer()
	}
}
