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
// answer's delay tells who has an account; "median-µs" is the figure to
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
	for _, tc := range []struct {
		name    string
		address func(i int) string
	}{
		{"known", func(i int) string { return known[i%accounts] }},
		{"unknown", func(i int) string { return fmt.Sprintf("unknown-%d@openimi.test", i%accounts) }},
	} {
		b.Run(tc.name, func(b *testing.B) {
			var took []time.Duration
			i := 0
			for b.Loop() {
				caller := cases.Caller{Address: fmt.Sprintf("192.0.2.%d", i%200)}
				start := time.Now()
				err := svc.RequestPasswordReset(ctx, caller, cases.PasswordResetRequestInput{Email: tc.address(i)})
				took = append(took, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				i++
				b.StopTimer()
				clearLimits(b, db)
				b.StartTimer()
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "median-µs")
		})
	}
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
