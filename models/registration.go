package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// NewRegistration is everything a registration records at once.
type NewRegistration struct {
	Authority    *Authority
	FirstUser    *User
	Registration *Registration
	// InvitationTokenHash, when set, is consumed in the same transaction.
	InvitationTokenHash []byte
}

// ErrInvitationInvalid: the invitation is unknown, used, expired, or for
// another country or region.
var ErrInvitationInvalid = errors.New("the invitation is invalid, used or expired")

// CreateRegistration records a pending authority, its first user (its local
// data administrator) and the registration, and uses up the invitation, all
// or nothing.
func (s *Store) CreateRegistration(ctx context.Context, nr NewRegistration, now time.Time) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if nr.InvitationTokenHash != nil {
			var inv Invitation
			res := tx.Raw(`UPDATE invitations SET used_at = ?
				WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
				RETURNING *`, now, nr.InvitationTokenHash, now).Scan(&inv)
			if res.Error != nil {
				return fmt.Errorf("use invitation: %w", res.Error)
			}
			if res.RowsAffected == 0 || inv.CountryCode != nr.Authority.CountryCode ||
				(inv.Region != "" && inv.Region != nr.Authority.Region) {
				return ErrInvitationInvalid
			}
			nr.Registration.InvitationID = &inv.ID
		}
		if err := createAuthority(tx, nr.Authority); err != nil {
			return err
		}
		nr.FirstUser.AuthorityID = &nr.Authority.ID
		if err := createUser(tx, nr.FirstUser, []UserRole{{Role: LocalDataAdministrator}}); err != nil {
			return err
		}
		nr.Registration.AuthorityID = nr.Authority.ID
		nr.Registration.FirstUserID = nr.FirstUser.ID
		nr.Registration.Status = RegistrationPending
		if err := tx.Omit(clause.Associations).Create(nr.Registration).Error; err != nil {
			return fmt.Errorf("create registration: %w", err)
		}
		return nil
	})
}

// DeleteRegistration removes a registration that never got its workflow,
// with its authority and first user, so that a failed start leaves nothing
// half-made.
func (s *Store) DeleteRegistration(ctx context.Context, id uuid.UUID) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var reg Registration
		if err := tx.Take(&reg, "id = ?", id).Error; err != nil {
			return fmt.Errorf("find registration: %w", err)
		}
		if reg.InvitationID != nil {
			if err := tx.Model(&Invitation{}).Where("id = ?", *reg.InvitationID).Update("used_at", nil).Error; err != nil {
				return fmt.Errorf("restore invitation: %w", err)
			}
		}
		for _, step := range []struct {
			what  string
			query string
			arg   uuid.UUID
		}{
			{"registration", "DELETE FROM registrations WHERE id = ?", reg.ID},
			{"user", "DELETE FROM users WHERE id = ?", reg.FirstUserID},
			{"authority", "DELETE FROM authorities WHERE id = ?", reg.AuthorityID},
		} {
			if err := tx.Exec(step.query, step.arg).Error; err != nil {
				return fmt.Errorf("delete %s: %w", step.what, err)
			}
		}
		return nil
	})
}

// Registration loads a registration with its authority and areas.
func (s *Store) Registration(ctx context.Context, id uuid.UUID) (Registration, error) {
	var reg Registration
	err := s.db.WithContext(ctx).Preload("Authority.Areas").Take(&reg, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Registration{}, ErrNotFound
	}
	if err != nil {
		return Registration{}, fmt.Errorf("load registration: %w", err)
	}
	return reg, nil
}

// PendingRegistrations lists registrations awaiting a decision in a
// country, oldest first; filtering by a coordinator's narrower scope is the
// caller's.
func (s *Store) PendingRegistrations(ctx context.Context, country string) ([]Registration, error) {
	var regs []Registration
	err := s.db.WithContext(ctx).Preload("Authority.Areas").
		Joins("JOIN authorities a ON a.id = registrations.authority_id").
		Where("registrations.status = ? AND a.country_code = ?", RegistrationPending, country).
		Order("registrations.created_at").Find(&regs).Error
	if err != nil {
		return nil, fmt.Errorf("list pending registrations: %w", err)
	}
	return regs, nil
}

// RegistrationEvents is a registration's timeline, in order.
func (s *Store) RegistrationEvents(ctx context.Context, id uuid.UUID) ([]RegistrationEvent, error) {
	var events []RegistrationEvent
	if err := s.db.WithContext(ctx).Where("registration_id = ?", id).Order("at, id").Find(&events).Error; err != nil {
		return nil, fmt.Errorf("load registration timeline: %w", err)
	}
	return events, nil
}

// RecordRegistrationEvent adds an event to the timeline once: the key makes
// a retried activity harmless. It reports whether the event is new.
func RecordRegistrationEvent(tx *gorm.DB, ev RegistrationEvent) (bool, error) {
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&ev)
	if res.Error != nil {
		return false, fmt.Errorf("record registration event %s: %w", ev.EventKey, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// DecideRegistration applies a coordinator's decision: the registration,
// its authority and its first user change together. Applying the same
// decision again returns the recorded one, so a retried activity is
// harmless; a different decision on a decided registration is a conflict.
func (s *Store) DecideRegistration(ctx context.Context, id, actor uuid.UUID, approve bool, reason string, at time.Time, also func(tx *gorm.DB, reg Registration) error) (Registration, error) {
	var reg Registration
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(lockForUpdate).Take(&reg, "id = ?", id).Error; err != nil {
			return fmt.Errorf("lock registration: %w", err)
		}
		want := RegistrationRejected
		if approve {
			want = RegistrationApproved
		}
		if reg.Status == want {
			return nil
		}
		if reg.Status != RegistrationPending {
			return fmt.Errorf("registration is %s: %w", reg.Status, ErrConflict)
		}
		reg.Status, reg.Reason, reg.DecidedBy, reg.DecidedAt = want, reason, &actor, &at
		if err := tx.Omit(clause.Associations).Save(&reg).Error; err != nil {
			return fmt.Errorf("save decision: %w", err)
		}
		authorityStatus, userStatus := AuthorityRejected, UserDeactivated
		if approve {
			authorityStatus, userStatus = AuthorityActive, UserActive
		}
		if err := tx.Model(&Authority{}).Where("id = ?", reg.AuthorityID).
			Updates(map[string]any{"status": authorityStatus, "status_reason": reason, "updated_at": at}).Error; err != nil {
			return fmt.Errorf("update authority: %w", err)
		}
		if err := tx.Model(&User{}).Where("id = ?", reg.FirstUserID).
			Updates(map[string]any{"status": userStatus, "updated_at": at}).Error; err != nil {
			return fmt.Errorf("update first user: %w", err)
		}
		if _, err := RecordRegistrationEvent(tx, RegistrationEvent{
			RegistrationID: id, EventKey: id.String() + "/" + string(want), Kind: string(want),
			ActorUserID: &actor, Note: reason, At: at,
		}); err != nil {
			return err
		}
		if also == nil {
			return nil
		}
		return also(tx, reg)
	})
	if err != nil {
		return Registration{}, err
	}
	return reg, nil
}

// UsableInvitation finds an invitation that is neither used nor expired,
// without using it: a registration looks it up before doing costly work
// (hashing the first user's password) for an anonymous caller.
func (s *Store) UsableInvitation(ctx context.Context, tokenHash []byte, now time.Time) (Invitation, error) {
	var inv Invitation
	err := s.db.WithContext(ctx).Where("token_hash = ? AND used_at IS NULL AND expires_at > ?", tokenHash, now).Take(&inv).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Invitation{}, ErrInvitationInvalid
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("find invitation: %w", err)
	}
	return inv, nil
}
