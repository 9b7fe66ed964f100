package models

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// NormalizeEmail is the form addresses are stored and compared in.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// UserByEmail finds an account by address, in any case.
func (s *Store) UserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("lower(email) = ?", NormalizeEmail(email)).Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("find user by email: %w", err)
	}
	return u, nil
}

// LoginCounts are the failed sign-ins that bear on one attempt, within the
// window the caller asked about.
type LoginCounts struct {
	// Pair: failures for this account from this client address.
	Pair int64
	// Client: failures from this client address, for any account.
	Client int64
	// AccountAddresses: addresses that failed for this account. Distinct
	// addresses, not failures: one address guessing on cannot make the
	// account look attacked from everywhere.
	AccountAddresses int64
	// Familiar: this account has signed in from this address before
	// (within familiarSince).
	Familiar bool
}

// BeginLogin records an attempt as failed before the password is checked,
// and counts the failures before it since a moment: for the account from
// this client, for the client, and the addresses that failed for the
// account; and
// whether the account has signed in from this client since familiarSince.
// Recording first means that guesses sent in parallel count against each
// other instead of all passing the check at once.
func (s *Store) BeginLogin(ctx context.Context, email, clientIP string, since, familiarSince time.Time) (attempt int64, counts LoginCounts, err error) {
	db := s.db.WithContext(ctx)
	email = NormalizeEmail(email)
	if err := db.Raw("INSERT INTO login_attempts (email, client_ip, succeeded) VALUES (?, ?, false) RETURNING id",
		email, clientIP).Scan(&attempt).Error; err != nil {
		return 0, LoginCounts{}, fmt.Errorf("record login attempt: %w", err)
	}
	row := db.Raw(`
		SELECT
			count(*) FILTER (WHERE lower(email) = ? AND client_ip = ?),
			count(*) FILTER (WHERE client_ip = ?),
			count(DISTINCT client_ip) FILTER (WHERE lower(email) = ?),
			EXISTS (SELECT 1 FROM login_attempts
				WHERE succeeded AND lower(email) = ? AND client_ip = ? AND at > ?)
		FROM login_attempts
		WHERE NOT succeeded AND at > ? AND id <> ? AND (lower(email) = ? OR client_ip = ?)`,
		email, clientIP, clientIP, email, email, clientIP, familiarSince, since, attempt, email, clientIP).Row()
	if err := row.Scan(&counts.Pair, &counts.Client, &counts.AccountAddresses, &counts.Familiar); err != nil {
		return 0, LoginCounts{}, fmt.Errorf("count login failures: %w", err)
	}
	return attempt, counts, nil
}

// LoginSucceeded marks an attempt begun with BeginLogin as a success.
func (s *Store) LoginSucceeded(ctx context.Context, attempt int64) error {
	if err := s.db.WithContext(ctx).Exec("UPDATE login_attempts SET succeeded = true WHERE id = ?", attempt).Error; err != nil {
		return fmt.Errorf("record login success: %w", err)
	}
	return nil
}

// CreateSession stores a bearer token's hash.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	if err := s.db.WithContext(ctx).Create(sess).Error; err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// RevokeSession ends a session; revoking twice is not an error.
func (s *Store) RevokeSession(ctx context.Context, tokenHash []byte) error {
	err := s.db.WithContext(ctx).Model(&Session{}).
		Where("token_hash = ? AND revoked_at IS NULL", tokenHash).
		Update("revoked_at", gorm.Expr("now()")).Error
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// RevokeSessionByID ends the session with this id; revoking twice is not
// an error.
func (s *Store) RevokeSessionByID(ctx context.Context, id uuid.UUID) error {
	err := s.db.WithContext(ctx).Model(&Session{}).
		Where("id = ? AND revoked_at IS NULL", id).
		Update("revoked_at", gorm.Expr("now()")).Error
	if err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// SessionUser is the account behind a live bearer token.
type SessionUser struct {
	SessionID uuid.UUID
	User      User
	Authority *Authority
	Roles     []UserRole
}

// UserBySession resolves a bearer token's hash to its account, when the
// session is neither expired nor revoked and the account is active.
func (s *Store) UserBySession(ctx context.Context, tokenHash []byte, now time.Time) (SessionUser, error) {
	// Every authenticated call comes through here: the session and its
	// user are read in one statement.
	var found struct {
		SessionID uuid.UUID
		User      User `gorm:"embedded"`
	}
	err := s.db.WithContext(ctx).Table("sessions").
		Select("sessions.id AS session_id, users.*").
		Joins("JOIN users ON users.id = sessions.user_id").
		Where("sessions.token_hash = ? AND sessions.revoked_at IS NULL AND sessions.expires_at > ? AND users.status = ?", tokenHash, now, UserActive).
		Take(&found).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return SessionUser{}, ErrNotFound
	}
	if err != nil {
		return SessionUser{}, fmt.Errorf("find session: %w", err)
	}
	su, err := s.completeAccount(ctx, found.User)
	if err != nil {
		return SessionUser{}, err
	}
	su.SessionID = found.SessionID
	return su, nil
}

// completeAccount adds a user's authority and roles.
func (s *Store) completeAccount(ctx context.Context, u User) (SessionUser, error) {
	su := SessionUser{User: u}
	if u.AuthorityID != nil {
		var a Authority
		if err := s.authorityColumns(ctx).Take(&a, "id = ?", *u.AuthorityID).Error; err != nil {
			return SessionUser{}, fmt.Errorf("load user's authority: %w", err)
		}
		su.Authority = &a
	}
	if err := s.db.WithContext(ctx).Where("user_id = ?", u.ID).Order("role, area_code").Find(&su.Roles).Error; err != nil {
		return SessionUser{}, fmt.Errorf("load roles: %w", err)
	}
	return su, nil
}

// IssueOneTimeToken stores a single-use link for a user, with what it
// causes (its mail), in one transaction.
func (s *Store) IssueOneTimeToken(ctx context.Context, t *OneTimeToken, also Also) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := CreateOneTimeToken(tx, t); err != nil {
			return err
		}
		return also.run(tx)
	})
}

// CreateOneTimeToken stores a single-use link's hash, inside the caller's
// transaction so that the link and what it is for appear together.
func CreateOneTimeToken(tx *gorm.DB, t *OneTimeToken) error {
	if err := tx.Create(t).Error; err != nil {
		return fmt.Errorf("create single-use link: %w", err)
	}
	return nil
}

// UsableOneTimeToken finds a single-use link that is neither used nor
// expired, without using it: callers look it up before doing costly work
// (hashing a password) on behalf of an anonymous caller.
func (s *Store) UsableOneTimeToken(ctx context.Context, tokenHash []byte, purpose TokenPurpose, now time.Time) (OneTimeToken, error) {
	var tok OneTimeToken
	err := s.db.WithContext(ctx).
		Where("token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?", tokenHash, purpose, now).
		Take(&tok).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return OneTimeToken{}, ErrTokenInvalid
	}
	if err != nil {
		return OneTimeToken{}, fmt.Errorf("find single-use link: %w", err)
	}
	return tok, nil
}

// ConsumeOneTimeToken marks a single-use link used and runs apply on its
// user in the same transaction: a link works once, and only if what it does
// succeeds.
func (s *Store) ConsumeOneTimeToken(ctx context.Context, tokenHash []byte, purpose TokenPurpose, now time.Time, apply func(tx *gorm.DB, user *User) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var tok OneTimeToken
		res := tx.Raw(`UPDATE one_time_tokens SET used_at = ?
			WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
			RETURNING *`, now, tokenHash, purpose, now).Scan(&tok)
		if res.Error != nil {
			return fmt.Errorf("use single-use link: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrTokenInvalid
		}
		var u User
		if err := tx.Clauses(lockForUpdate).Take(&u, "id = ?", tok.UserID).Error; err != nil {
			return fmt.Errorf("load the link's user: %w", err)
		}
		return apply(tx, &u)
	})
}

// AuthorityOfUser is the authority a user acts for; nil for the helpdesk.
func (s *Store) AuthorityOfUser(ctx context.Context, userID uuid.UUID) (*uuid.UUID, error) {
	var u User
	if err := s.db.WithContext(ctx).Select("authority_id").Take(&u, "id = ?", userID).Error; err != nil {
		return nil, fmt.Errorf("find user %s: %w", userID, err)
	}
	return u.AuthorityID, nil
}

// AuthAction names an attempt that auth_attempts counts.
type AuthAction string

// The attempts limited through auth_attempts.
const (
	// PasswordResetRequested: someone asked for a reset link for an
	// address, known or not.
	PasswordResetRequested AuthAction = "password_reset_request"
	// LinkUsed: someone sent an activation or reset link's token, or an
	// invitation's, that was unknown, used or expired.
	LinkUsed AuthAction = "link_use"
)

// AttemptCounts are the earlier attempts at an action within a window.
type AttemptCounts struct {
	// Subject: about the same address.
	Subject int64
	// Client: from the same client address.
	Client int64
}

// expiredAttemptsPerCall bounds the clean-up each recorded attempt does:
// a few old rows at a time keep the table small without a job of its own.
const expiredAttemptsPerCall = 10

// RecordAttempt records one attempt at action about subject (an email
// address, or "") from a client, and counts the attempts before it since a
// moment. It also deletes a few attempts older than keepSince, which no
// limit looks at any more.
func (s *Store) RecordAttempt(ctx context.Context, action AuthAction, subject, clientIP string, since, keepSince time.Time) (AttemptCounts, error) {
	var n AttemptCounts
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		n, err = recordAttempt(tx, action, subject, clientIP, since, keepSince)
		return err
	})
	return n, err
}

// CountAttempts counts the attempts at action since a moment about subject
// (an email address, or "") and from a client, recording nothing.
func (s *Store) CountAttempts(ctx context.Context, action AuthAction, subject, clientIP string, since time.Time) (AttemptCounts, error) {
	var n AttemptCounts
	row := s.db.WithContext(ctx).Raw(`
		SELECT
			count(*) FILTER (WHERE subject = ? AND subject <> ''),
			count(*) FILTER (WHERE client_ip = ?)
		FROM auth_attempts
		WHERE action = ? AND at > ? AND ((subject = ? AND subject <> '') OR client_ip = ?)`,
		subject, clientIP, action, since, subject, clientIP).Row()
	if err := row.Scan(&n.Subject, &n.Client); err != nil {
		return n, fmt.Errorf("count %s attempts: %w", action, err)
	}
	return n, nil
}

func recordAttempt(tx *gorm.DB, action AuthAction, subject, clientIP string, since, keepSince time.Time) (AttemptCounts, error) {
	var n AttemptCounts
	// The CTE's insert is not visible to the count in the same statement:
	// the counts are of the attempts before this one.
	row := tx.Raw(`
		WITH this AS (
			INSERT INTO auth_attempts (action, subject, client_ip) VALUES (?, ?, ?) RETURNING id
		)
		SELECT
			count(*) FILTER (WHERE subject = ? AND subject <> ''),
			count(*) FILTER (WHERE client_ip = ?)
		FROM auth_attempts
		WHERE action = ? AND at > ? AND ((subject = ? AND subject <> '') OR client_ip = ?)`,
		action, subject, clientIP, subject, clientIP, action, since, subject, clientIP).Row()
	if err := row.Scan(&n.Subject, &n.Client); err != nil {
		return n, fmt.Errorf("record %s attempt: %w", action, err)
	}
	if err := tx.Exec(`DELETE FROM auth_attempts WHERE id IN (
			SELECT id FROM auth_attempts WHERE at < ? ORDER BY at LIMIT ? FOR UPDATE SKIP LOCKED)`,
		keepSince, expiredAttemptsPerCall).Error; err != nil {
		return n, fmt.Errorf("forget old attempts: %w", err)
	}
	return n, nil
}

// ResetRequest is a request for a password reset link.
type ResetRequest struct {
	// Address is the email address asked about, as typed.
	Address  string
	ClientIP string
	// Since is where the window of the limits begins; attempts older
	// than KeepSince are forgotten.
	Since, KeepSince time.Time
}

// ResetDecision is the caller's answer to a reset request, given the
// attempts counted and the account found (the zero User when none): the
// link and its mail to store when the account is active, or a refusal.
type ResetDecision func(n AttemptCounts, u User) (OneTimeToken, OutboxMail, error)

// RequestPasswordReset records a reset request, counts the requests before
// it, reads the account, and stores the link and mail decide makes when
// the link names an active account. It runs the same statements whether or
// not the address has an account, all in one transaction that always
// writes (the attempt), so that its time does not tell whether one exists.
// A refusal from decide is returned after the attempt is committed: refused
// attempts count too.
func (s *Store) RequestPasswordReset(ctx context.Context, r ResetRequest, decide ResetDecision) error {
	var refusal error
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := recordAttempt(tx, PasswordResetRequested, NormalizeEmail(r.Address), r.ClientIP, r.Since, r.KeepSince)
		if err != nil {
			return err
		}
		var u User
		if err := tx.Where("lower(email) = ?", NormalizeEmail(r.Address)).Take(&u).Error; err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("find user by email: %w", err)
		}
		link, mail, err := decide(n, u)
		if err != nil {
			refusal = err
			return nil
		}
		return issuePasswordReset(tx, link, mail)
	})
	if err != nil {
		return err
	}
	return refusal
}

// issuePasswordReset stores a reset link and its mail for the active
// account the link names, or nothing when link.UserID names no active
// account, with the same statements either way.
func issuePasswordReset(tx *gorm.DB, link OneTimeToken, mail OutboxMail) error {
	if link.ID == uuid.Nil || mail.EventKey == "" {
		return fmt.Errorf("issue password reset: the link needs its id and the mail its event key")
	}
	if len(mail.Data) == 0 {
		mail.Data = []byte("{}")
	}
	if mail.Language == "" {
		mail.Language = "en"
	}
	if err := tx.Exec(`
		INSERT INTO one_time_tokens (id, token_hash, purpose, user_id, expires_at)
		SELECT ?::uuid, ?::bytea, ?::text, id, ?::timestamptz FROM users WHERE id = ? AND status = ?`,
		link.ID, link.TokenHash, link.Purpose, link.ExpiresAt, link.UserID, UserActive).Error; err != nil {
		return fmt.Errorf("create reset link: %w", err)
	}
	// The mail goes only with a link: none for an unknown address.
	if err := tx.Exec(`
		INSERT INTO mail_outbox (event_key, recipient, language, template, data, thread_key, authority_id)
		SELECT ?::text, ?::text, ?::text, ?::text, ?::jsonb, ?::text, ?::uuid FROM one_time_tokens WHERE id = ?
		ON CONFLICT DO NOTHING`,
		mail.EventKey, strings.TrimSpace(mail.Recipient), mail.Language, mail.Template, string(mail.Data), mail.ThreadKey, mail.AuthorityID, link.ID).Error; err != nil {
		return fmt.Errorf("enqueue reset mail: %w", err)
	}
	return nil
}
