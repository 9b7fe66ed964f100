package cases

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/mail"
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
	// maxLoginAddressesAccount: addresses that guessed at one account,
	// beyond which only familiar addresses may still try.
	maxLoginAddressesAccount = 10
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
		return tooManyAttempts("too many failed sign-ins for this account from your address; try again in 15 minutes or reset the password", loginWindow)
	case n.Client >= maxLoginFailuresClient:
		return tooManyAttempts("too many failed sign-ins from your address; try again in 15 minutes", loginWindow)
	case n.AccountAddresses >= maxLoginAddressesAccount && !n.Familiar:
		return tooManyAttempts("this account is under attack: for now it may only sign in from an address it used before; try again in 15 minutes or reset the password", loginWindow)
	}
	return nil
}

func tooManyAttempts(message string, retryAfter time.Duration) *Error {
	return &Error{Kind: TooMany, Code: "too_many_attempts", Message: message, RetryAfter: retryAfter}
}

// Limits on what anonymous callers ask for by address or by link, also
// counted in PostgreSQL.
const (
	// resetWindow is how far back reset requests count.
	resetWindow = time.Hour
	// maxResetsAddress: reset links asked for one address. Beyond it the
	// owner already has that many working links in their mailbox, so
	// refusing more locks nobody out, and nobody is flooded with mail.
	maxResetsAddress = 3
	// maxResetsClient: reset requests from one client, for any addresses.
	maxResetsClient = 10
	// linkWindow is how far back uses of links count.
	linkWindow = 15 * time.Minute
	// maxLinkFailuresClient: unknown, used or expired tokens (activation,
	// reset, invitation) sent by one client.
	maxLinkFailuresClient = 10
	// attemptsKept: older attempts are deleted, a few at a time.
	attemptsKept = 24 * time.Hour
)

// limitLinkUse refuses a client that has sent too many tokens that named
// no usable link (activation, reset, invitation). Only failures count: an
// office whose officials all activate their accounts from one address is
// never refused, and a made-up token costs a lookup.
func (s *Service) limitLinkUse(ctx context.Context, c Caller) error {
	n, err := s.store.CountAttempts(ctx, models.LinkUsed, "", c.Address, time.Now().Add(-linkWindow))
	if err != nil {
		return err
	}
	if n.Client >= maxLinkFailuresClient {
		return tooManyAttempts("too many unknown or used links tried from your address; try again in 15 minutes", linkWindow)
	}
	return nil
}

// linkFailed records a token that named no usable link against the
// client's limit, and returns the error the caller is told.
func (s *Service) linkFailed(ctx context.Context, c Caller, err error) error {
	if !errors.Is(err, models.ErrTokenInvalid) && !errors.Is(err, models.ErrInvitationInvalid) {
		return err
	}
	now := time.Now()
	if _, recErr := s.store.RecordAttempt(ctx, models.LinkUsed, "", c.Address, now.Add(-linkWindow), now.Add(-attemptsKept)); recErr != nil {
		return errors.Join(err, recErr)
	}
	return linkError(err)
}

// requestPasswordReset does the same for an address with an active account
// as for any other: it records and counts the request, reads the account,
// makes a link and its mail, and runs the statements that store them,
// which store nothing unless the account exists and is active; all in one
// transaction. So the answer and its time are the same, and only the owner
// of the address gets mail.
func (s *Service) requestPasswordReset(ctx context.Context, c Caller, in PasswordResetRequestInput) error {
	now := time.Now()
	req := models.ResetRequest{Address: in.Email, ClientIP: c.Address, Since: now.Add(-resetWindow), KeepSince: now.Add(-attemptsKept)}
	return s.store.RequestPasswordReset(ctx, req, func(n models.AttemptCounts, user models.User) (models.OneTimeToken, models.OutboxMail, error) {
		switch {
		case n.Client >= maxResetsClient:
			return models.OneTimeToken{}, models.OutboxMail{}, tooManyAttempts("too many password resets asked for from your address; try again in an hour", resetWindow)
		case n.Subject >= maxResetsAddress:
			return models.OneTimeToken{}, models.OutboxMail{}, tooManyAttempts("reset links for this address were sent just now; use one of them or try again in an hour", resetWindow)
		}
		if user.ID == uuid.Nil {
			// A stand-in whose id names no account: its link and mail
			// are made like any other, and the store keeps neither.
			user = models.User{Email: models.NormalizeEmail(in.Email), PreferredLanguage: "en"}
		}
		token, tokenHash := NewToken()
		link := models.OneTimeToken{ID: uuid.New(), TokenHash: tokenHash, Purpose: models.PasswordResetToken, UserID: user.ID, ExpiresAt: now.Add(PasswordResetLinkTTL)}
		mails, err := passwordResetMail(link, token).Outbox(mail.To(user))
		if err != nil {
			return models.OneTimeToken{}, models.OutboxMail{}, fmt.Errorf("compose the reset mail: %w", err)
		}
		return link, mails[0], nil
	})
}
