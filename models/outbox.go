package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// MailStatus is where a notification in the outbox stands.
type MailStatus string

// The states of an outbox row. A row moves pending → sending → sent, or
// back to pending to be retried, or to failed when retrying cannot help.
const (
	MailPending MailStatus = "pending"
	MailSending MailStatus = "sending"
	MailSent    MailStatus = "sent"
	MailFailed  MailStatus = "failed"
)

// ErrMailLeaseLost is returned when a dispatcher settles a row it no longer
// holds: its lease ran out and another dispatcher claimed the row.
var ErrMailLeaseLost = errors.New("the mail's lease was lost to another dispatcher")

// OutboxMail is one notification to one recipient, waiting in or delivered
// from the outbox.
type OutboxMail struct {
	ID int64 `gorm:"primaryKey"`
	// EventKey names what caused the mail, e.g. "request/<id>/accepted".
	// With Recipient it is unique: enqueuing the same pair again is a no-op.
	EventKey  string
	Recipient string
	// Language of the recipient, e.g. "de"; the template falls back to
	// English when it has none in that language.
	Language string
	Template string
	// Data is the JSON object the template renders. It must hold no
	// personal data (references, authority names, dates and link paths
	// only): the caller builds it with mail.Data, which has no field for any.
	Data json.RawMessage `gorm:"type:jsonb"`
	// ThreadKey groups mails into one thread in the recipient's mail
	// program, e.g. a request's reference; empty for mails that stand alone.
	ThreadKey string
	// AuthorityID is the authority whose official receives the mail, so
	// that its local data administrator sees failed deliveries.
	AuthorityID *uuid.UUID `gorm:"type:uuid"`

	// The rest is the dispatcher's: the database sets it, by its own
	// clock, so that processes whose clocks disagree agree on what is due.
	Status        MailStatus
	Attempts      int
	NextAttemptAt time.Time
	ClaimToken    *uuid.UUID `gorm:"type:uuid"`
	LastError     string
	MessageID     string
	SentAt        *time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// TableName is the outbox's table.
func (OutboxMail) TableName() string { return "mail_outbox" }

// EnqueueMail writes notifications into the outbox through tx, which should
// be the transaction that records the event causing them: then a mail exists
// exactly when its event does. A mail whose (EventKey, Recipient) is already
// in the outbox is skipped, so a retried activity enqueues nothing twice.
func EnqueueMail(tx *gorm.DB, mails ...OutboxMail) error {
	if len(mails) == 0 {
		return nil
	}
	rows := make([]OutboxMail, len(mails))
	for i, m := range mails {
		m.EventKey = strings.TrimSpace(m.EventKey)
		m.Recipient = strings.TrimSpace(m.Recipient)
		if m.EventKey == "" || m.Recipient == "" || m.Template == "" {
			return fmt.Errorf("enqueue mail %q to %q: event key, recipient and template are required", m.EventKey, m.Recipient)
		}
		if m.Language == "" {
			m.Language = "en"
		}
		if len(m.Data) == 0 {
			m.Data = json.RawMessage("{}")
		}
		// Only the dispatcher moves a row on; a caller cannot enqueue one
		// already sent, nor choose its schedule.
		rows[i] = OutboxMail{
			EventKey:    m.EventKey,
			Recipient:   m.Recipient,
			Language:    m.Language,
			Template:    m.Template,
			Data:        m.Data,
			ThreadKey:   m.ThreadKey,
			AuthorityID: m.AuthorityID,
		}
	}
	err := tx.Clauses(clause.OnConflict{DoNothing: true}).
		Omit("ID", "Status", "Attempts", "NextAttemptAt", "ClaimToken", "SentAt", "CreatedAt", "UpdatedAt").
		Create(&rows).Error
	if err != nil {
		return fmt.Errorf("enqueue %d mails for %s: %w", len(rows), rows[0].EventKey, err)
	}
	return nil
}

// ClaimDueMail takes up to limit rows that are due, for lease: until the
// lease ends no other dispatcher takes them, and after it they are due again,
// so the mails of a dispatcher that died are not lost. Rows locked by a
// concurrent claim are skipped rather than waited for, so dispatchers in
// several processes share the work without blocking each other. The rows of
// one claim share its claim token, by which RenewMailLease extends them.
func (s *Store) ClaimDueMail(ctx context.Context, limit int, lease time.Duration) ([]OutboxMail, error) {
	var claimed []OutboxMail
	err := s.db.WithContext(ctx).Raw(`
		UPDATE mail_outbox o
		SET status = 'sending',
		    attempts = o.attempts + 1,
		    next_attempt_at = now() + make_interval(secs => @lease),
		    claim_token = @token,
		    updated_at = now()
		FROM (
			SELECT id FROM mail_outbox
			WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
			ORDER BY next_attempt_at, id
			LIMIT @limit
			FOR UPDATE SKIP LOCKED
		) due
		WHERE o.id = due.id
		RETURNING o.*`,
		map[string]any{"lease": lease.Seconds(), "limit": limit, "token": uuid.New()},
	).Scan(&claimed).Error
	if err != nil {
		return nil, fmt.Errorf("claim due mail: %w", err)
	}
	return claimed, nil
}

// RenewMailLease extends, to lease from now, the lease of the rows among
// ids that the claim token still holds unsettled, and reports how many it
// extended. A dispatcher renews while it sends, so that its lease can be
// short: the mails of one that died are due again within seconds.
func (s *Store) RenewMailLease(ctx context.Context, token uuid.UUID, ids []int64, lease time.Duration) (int64, error) {
	if len(ids) == 0 {
		return 0, nil
	}
	res := s.db.WithContext(ctx).Exec(`
		UPDATE mail_outbox
		SET next_attempt_at = now() + make_interval(secs => ?), updated_at = now()
		WHERE id IN ? AND claim_token = ? AND status = ?`,
		lease.Seconds(), ids, token, MailSending)
	if res.Error != nil {
		return 0, fmt.Errorf("renew the lease of %d mails: %w", len(ids), res.Error)
	}
	return res.RowsAffected, nil
}

// MarkMailSent records the delivery of a claimed mail under the Message-ID
// it was sent with.
func (s *Store) MarkMailSent(ctx context.Context, m OutboxMail, messageID string) error {
	return s.settleMail(ctx, m, "sent", map[string]any{
		"status":          MailSent,
		"sent_at":         gorm.Expr("now()"),
		"message_id":      messageID,
		"last_error":      "",
		"claim_token":     nil,
		"next_attempt_at": gorm.Expr("now()"),
	})
}

// RetryMailLater puts a claimed mail back in the queue, due after delay, with
// the reason its delivery failed this time.
func (s *Store) RetryMailLater(ctx context.Context, m OutboxMail, delay time.Duration, reason string) error {
	return s.settleMail(ctx, m, "retry", map[string]any{
		"status":          MailPending,
		"last_error":      reason,
		"claim_token":     nil,
		"next_attempt_at": gorm.Expr("now() + make_interval(secs => ?)", delay.Seconds()),
	})
}

// MarkMailFailed gives up on a claimed mail: it is not retried, and shows in
// its authority's list of failed deliveries.
func (s *Store) MarkMailFailed(ctx context.Context, m OutboxMail, reason string) error {
	return s.settleMail(ctx, m, "fail", map[string]any{
		"status":      MailFailed,
		"last_error":  reason,
		"claim_token": nil,
	})
}

// ReleaseMail returns a claimed mail that was never attempted, because the
// relay was found down first, to the queue as it was: due now, and the
// claim not counted as an attempt.
func (s *Store) ReleaseMail(ctx context.Context, m OutboxMail) error {
	return s.settleMail(ctx, m, "release", map[string]any{
		"status":          MailPending,
		"attempts":        gorm.Expr("greatest(attempts - 1, 0)"),
		"claim_token":     nil,
		"next_attempt_at": gorm.Expr("now()"),
	})
}

// settleMail applies changes to a row only while the caller still holds the
// claim it took: a dispatcher whose lease ran out must not overwrite the
// outcome of the one that claimed the row after it.
func (s *Store) settleMail(ctx context.Context, m OutboxMail, what string, changes map[string]any) error {
	if m.ClaimToken == nil {
		return fmt.Errorf("%s mail %d: it was not claimed", what, m.ID)
	}
	changes["updated_at"] = gorm.Expr("now()")
	res := s.db.WithContext(ctx).Model(&OutboxMail{}).
		Where("id = ? AND claim_token = ? AND status = ?", m.ID, *m.ClaimToken, MailSending).
		Updates(changes)
	if res.Error != nil {
		return fmt.Errorf("%s mail %d: %w", what, m.ID, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("%s mail %d: %w", what, m.ID, ErrMailLeaseLost)
	}
	return nil
}

// MailPage selects a slice of a list, newest first.
type MailPage struct {
	// Limit is the page size: 50 when zero, at most 200.
	Limit  int
	Offset int
}

func (p MailPage) normalized() MailPage {
	switch {
	case p.Limit <= 0:
		p.Limit = 50
	case p.Limit > 200:
		p.Limit = 200
	}
	if p.Offset < 0 {
		p.Offset = 0
	}
	return p
}

// FailedMail lists the notifications to an authority's officials that could
// not be delivered, most recently failed first, and how many there are in
// all: what its local data administrator needs to correct an address.
func (s *Store) FailedMail(ctx context.Context, authorityID uuid.UUID, page MailPage) ([]OutboxMail, int64, error) {
	page = page.normalized()
	q := s.db.WithContext(ctx).Model(&OutboxMail{}).
		Where("authority_id = ? AND status = ?", authorityID, MailFailed)
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count failed mail of authority %s: %w", authorityID, err)
	}
	var mails []OutboxMail
	err := q.Order("updated_at DESC, id DESC").Limit(page.Limit).Offset(page.Offset).Find(&mails).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list failed mail of authority %s: %w", authorityID, err)
	}
	return mails, total, nil
}
