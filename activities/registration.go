package activities

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/mail"
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

// RegistrationNotice records a step on the registration's timeline and
// tells the coordinators who must act: those of the authority's scope when
// it is submitted or overdue for a decision, the national coordinator when
// it is escalated. Once, whatever the retries.
func (a *Activities) RegistrationNotice(ctx context.Context, in RegistrationNoticeInput) error {
	reg, err := a.Store.Registration(ctx, in.RegistrationID)
	if err != nil {
		return classify("registration notice", err)
	}
	var areas []string
	for _, area := range reg.Authority.Areas {
		areas = append(areas, area.AreaCode)
	}
	coordinators, err := a.Store.CoordinatorRecipients(ctx, reg.Authority.CountryCode, reg.Authority.Region, areas, in.Kind == RegistrationEscalated)
	if err != nil {
		return classify("registration notice: coordinators", err)
	}
	kind := map[RegistrationNoticeKind]mail.Kind{
		RegistrationSubmitted: mail.RegistrationPending,
		RegistrationReminded:  mail.RegistrationReminder,
		RegistrationEscalated: mail.RegistrationEscalated,
	}[in.Kind]
	key := in.RegistrationID.String() + "/" + string(in.Kind)
	mails, err := mail.Notification{
		Kind:     kind,
		EventKey: "registration/" + key,
		Data:     mail.Data{Authority: reg.Authority.OfficialName, Path: "/registrations/" + reg.ID.String()},
	}.Outbox(recipients(coordinators)...)
	if err != nil {
		return temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidNotification, err)
	}
	err = a.Store.DB().WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		fresh, err := models.RecordRegistrationEvent(tx, models.RegistrationEvent{
			RegistrationID: in.RegistrationID, EventKey: key, Kind: string(in.Kind), At: in.At,
		})
		if err != nil || !fresh {
			return err
		}
		column := map[RegistrationNoticeKind]string{RegistrationReminded: "reminded_at", RegistrationEscalated: "escalated_at"}[in.Kind]
		if column != "" {
			if err := tx.Model(&models.Registration{}).Where("id = ?", in.RegistrationID).Update(column, in.At).Error; err != nil {
				return fmt.Errorf("mark registration %s: %w", in.Kind, err)
			}
		}
		return models.EnqueueMail(tx, mails...)
	})
	return classify("record registration "+string(in.Kind), err)
}

// recipients addresses each official in their own language.
func recipients(users []models.User) []mail.Recipient {
	out := make([]mail.Recipient, 0, len(users))
	for _, u := range users {
		out = append(out, mail.To(u))
	}
	return out
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

// DecideRegistration writes the decision and tells the authority, at its
// first user and its functional mailbox. A registration decided otherwise
// meanwhile is a permanent failure, not something a retry can mend.
func (a *Activities) DecideRegistration(ctx context.Context, in RegistrationDecisionInput) (RegistrationOutcome, error) {
	before, err := a.Store.Registration(ctx, in.RegistrationID)
	if err != nil {
		return RegistrationOutcome{}, classify("decide registration", err)
	}
	var firstUser models.User
	if err := a.Store.DB().WithContext(ctx).Take(&firstUser, "id = ?", before.FirstUserID).Error; err != nil {
		return RegistrationOutcome{}, classify("load first user", err)
	}
	kind := mail.RegistrationRejected
	if in.Approve {
		kind = mail.RegistrationApproved
	}
	mails, err := mail.Notification{
		Kind:     kind,
		EventKey: "registration/" + in.RegistrationID.String() + "/" + string(kind),
		Data:     mail.Data{Authority: before.Authority.OfficialName, Path: "/registrations/" + in.RegistrationID.String()},
	}.Outbox(
		mail.To(firstUser),
		mail.Recipient{Address: before.Authority.FunctionalMailbox, Language: firstUser.PreferredLanguage, AuthorityID: &before.AuthorityID},
	)
	if err != nil {
		return RegistrationOutcome{}, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidNotification, err)
	}
	reg, err := a.Store.DecideRegistration(ctx, in.RegistrationID, in.ActorUserID, in.Approve, in.Reason, in.DecidedAt,
		func(tx *gorm.DB, _ models.Registration) error { return models.EnqueueMail(tx, mails...) })
	if errors.Is(err, models.ErrConflict) {
		return RegistrationOutcome{}, temporal.NewNonRetryableApplicationError(err.Error(), "conflict", err)
	}
	if err != nil {
		return RegistrationOutcome{}, classify("decide registration", err)
	}
	return RegistrationOutcome{Status: reg.Status, DecidedAt: *reg.DecidedAt}, nil
}
