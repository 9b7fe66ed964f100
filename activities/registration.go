package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/openimi/openimi/models"
)

// RegistrationNoticeKind names a step of a registration that coordinators
// are told of.
type RegistrationNoticeKind string

// The steps of a registration.
const (
	RegistrationSubmitted RegistrationNoticeKind = "submitted"
	RegistrationReminded  RegistrationNoticeKind = "reminded"
	RegistrationEscalated RegistrationNoticeKind = "escalated"
)

// RegistrationNoticeInput records a step of a registration.
type RegistrationNoticeInput struct {
	RegistrationID uuid.UUID
	Kind           RegistrationNoticeKind
	At             time.Time
}

// RegistrationNotice records a step on the registration's timeline: once,
// whatever the retries.
func (a *Activities) RegistrationNotice(ctx context.Context, in RegistrationNoticeInput) error {
	return a.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if _, err := models.RecordRegistrationEvent(tx, models.RegistrationEvent{
			RegistrationID: in.RegistrationID,
			EventKey:       in.RegistrationID.String() + "/" + string(in.Kind),
			Kind:           string(in.Kind),
			At:             in.At,
		}); err != nil {
			return err
		}
		column := map[RegistrationNoticeKind]string{RegistrationReminded: "reminded_at", RegistrationEscalated: "escalated_at"}[in.Kind]
		if column != "" {
			if err := tx.Model(&models.Registration{}).Where("id = ?", in.RegistrationID).Update(column, in.At).Error; err != nil {
				return fmt.Errorf("mark registration %s: %w", in.Kind, err)
			}
		}
		return nil
	})
}

// RegistrationDecisionInput applies a coordinator's decision.
type RegistrationDecisionInput struct {
	RegistrationID uuid.UUID
	ActorUserID    uuid.UUID
	Approve        bool
	Reason         string
	DecidedAt      time.Time
}

// RegistrationOutcome is a registration's state after its decision.
type RegistrationOutcome struct {
	Status    models.RegistrationStatus
	DecidedAt time.Time
}

// DecideRegistration writes the decision; a registration decided otherwise
// meanwhile is a permanent failure, not something a retry can mend.
func (a *Activities) DecideRegistration(ctx context.Context, in RegistrationDecisionInput) (RegistrationOutcome, error) {
	reg, err := a.Store.DecideRegistration(ctx, in.RegistrationID, in.ActorUserID, in.Approve, in.Reason, in.DecidedAt)
	if errors.Is(err, models.ErrConflict) {
		return RegistrationOutcome{}, temporal.NewNonRetryableApplicationError(err.Error(), "conflict", err)
	}
	if err != nil {
		return RegistrationOutcome{}, err
	}
	return RegistrationOutcome{Status: reg.Status, DecidedAt: *reg.DecidedAt}, nil
}
