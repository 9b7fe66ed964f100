package api

import (
	"github.com/openimi/openimi/models"
)

// The mails the directory's handlers cause, enqueued in the same
// transaction as what causes them.

func (h *handlers) mailPasswordReset(user *models.User, token string) models.Also { return nil }

func (h *handlers) mailActivation(user *models.User, token string) models.Also { return nil }

func (h *handlers) mailInvitation(inv *models.Invitation, token string) models.Also { return nil }
