package cases_test

import (
	"context"
	"testing"
	"time"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

// The pages call these use cases with a cookie's token, the API with a
// bearer token: both get the same caller, and the same refusals.
func TestAuthenticate_TokenToCallerAndEveryKindOfBadToken(t *testing.T) {
	db := testenv.Database(t)
	svc := cases.New(cases.Deps{Log: testenv.Logger(t), Store: models.NewStore(db), Settings: cases.Settings{SessionTTL: time.Hour}})
	ctx := context.Background()
	const email, pw = "helpdesk-cases@openimi.test", "a long enough passphrase"
	hash, err := password.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	u := models.User{Email: email, DisplayName: "Helpdesk", PasswordHash: hash, PreferredLanguage: "de", IsHelpdesk: true, Status: models.UserActive}
	if err := db.Create(&u).Error; err != nil {
		t.Fatal(err)
	}
	refused := func(name, token, code string) {
		t.Helper()
		c, err := svc.Authenticate(ctx, token, "192.0.2.7")
		e := cases.AsError(err)
		if e == nil || e.Kind != cases.Unauthenticated || e.Code != code {
			t.Errorf("%s: Authenticate = %v, want Unauthenticated %s", name, err, code)
		}
		if c.SignedIn() {
			t.Errorf("%s: a refused token gave a signed-in caller", name)
		}
	}
	refused("no token", "", cases.CodeUnauthenticated)
	refused("made-up token", "made-up", cases.CodeInvalidToken)

	if _, err := svc.Login(ctx, cases.Caller{Address: "192.0.2.7"}, cases.LoginInput{Email: email, Password: "wrong passphrase!"}); cases.AsError(err) == nil || cases.AsError(err).Code != "invalid_credentials" {
		t.Fatalf("Login with a wrong password = %v, want invalid_credentials", err)
	}
	out, err := svc.Login(ctx, cases.Caller{Address: "192.0.2.7"}, cases.LoginInput{Email: email, Password: pw})
	if err != nil {
		t.Fatalf("Login = %v", err)
	}
	if out.Token == "" || out.Me.Email != email || !out.Me.Helpdesk || out.ExpiresAt.Before(time.Now()) {
		t.Fatalf("Login = %+v, want a token for the helpdesk account", out)
	}
	c, err := svc.Authenticate(ctx, out.Token, "192.0.2.7")
	if err != nil {
		t.Fatalf("Authenticate = %v", err)
	}
	if !c.SignedIn() || c.UserID != u.ID || !c.Helpdesk || c.Session.User.ID != u.ID || c.Session.SessionID.String() == "" || c.Language != "de" || c.Address != "192.0.2.7" {
		t.Errorf("caller = %+v, want the helpdesk account with its session", c)
	}
	if me, err := svc.Me(ctx, c); err != nil || me.ID != u.ID {
		t.Errorf("Me = %+v, %v", me, err)
	}
	if _, err := svc.Me(ctx, cases.Caller{}); cases.AsError(err) == nil || cases.AsError(err).Kind != cases.Unauthenticated {
		t.Errorf("Me of an anonymous caller = %v, want Unauthenticated", err)
	}

	if err := svc.Logout(ctx, c); err != nil {
		t.Fatalf("Logout = %v", err)
	}
	refused("revoked token", out.Token, cases.CodeInvalidToken)

	out, err = svc.Login(ctx, cases.Caller{Address: "192.0.2.7"}, cases.LoginInput{Email: email, Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Exec("UPDATE sessions SET expires_at = now() - interval '1 second'").Error; err != nil {
		t.Fatal(err)
	}
	refused("expired token", out.Token, cases.CodeInvalidToken)
}
