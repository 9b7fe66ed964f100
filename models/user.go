package models

import (
	"time"

	"github.com/google/uuid"
)

// UserStatus is where an account stands.
type UserStatus string

// The states of an account.
const (
	UserPending     UserStatus = "pending"
	UserActive      UserStatus = "active"
	UserDeactivated UserStatus = "deactivated"
)

// User is an official of an authority, or a member of the helpdesk.
type User struct {
	ID                uuid.UUID `gorm:"type:uuid;default:gen_random_uuid()"`
	Email             string
	DisplayName       string
	PasswordHash      string
	PreferredLanguage string
	AuthorityID       *uuid.UUID `gorm:"type:uuid"`
	IsHelpdesk        bool
	Status            UserStatus
	CreatedAt         time.Time
	UpdatedAt         time.Time
}
