package models

import (
	"time"

	"github.com/google/uuid"
)

// AuthorityKind tells a competent authority from a coordinator body.
type AuthorityKind string

// The kinds of authority.
const (
	CompetentAuthority   AuthorityKind = "competent_authority"
	NationalCoordinator  AuthorityKind = "national_coordinator"
	DelegatedCoordinator AuthorityKind = "delegated_coordinator"
)

// IsCoordinator reports whether the body coordinates others.
func (k AuthorityKind) IsCoordinator() bool {
	return k == NationalCoordinator || k == DelegatedCoordinator
}

// AuthorityStatus is where an authority stands in the network.
type AuthorityStatus string

// The states of an authority.
const (
	AuthorityPending   AuthorityStatus = "pending_validation"
	AuthorityActive    AuthorityStatus = "active"
	AuthorityRejected  AuthorityStatus = "rejected"
	AuthoritySuspended AuthorityStatus = "suspended"
)

// Level is the tier of government an authority belongs to.
type Level string

// The levels of government.
const (
	National Level = "national"
	Regional Level = "regional"
	Local    Level = "local"
)

// Authority is a competent authority or a coordinator body.
type Authority struct {
	ID                uuid.UUID `gorm:"type:uuid;default:gen_random_uuid()"`
	Kind              AuthorityKind
	CountryCode       string
	Region            string
	Level             Level
	OfficialName      string
	OfficialNameLang  string
	Designation       Translations
	Description       Translations
	Street            string
	PostalCode        string
	City              string
	FunctionalMailbox string
	Phone             string
	Status            AuthorityStatus
	ScopeArea         string
	StatusReason      string
	// SearchText (names and designations in every language) and
	// SearchDetails (descriptions) are what search matches of the
	// authority's own words; they are written into the search_document
	// column and never read back. Its competences are matched through the
	// reference data's index of their labels and keywords.
	SearchText    string          `gorm:"-"`
	SearchDetails string          `gorm:"-"`
	Areas         []AuthorityArea `gorm:"foreignKey:AuthorityID"`
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// AuthorityArea is a legislative area an authority works in, with its
// competences there.
type AuthorityArea struct {
	AuthorityID uuid.UUID `gorm:"type:uuid;primaryKey"`
	AreaCode    string    `gorm:"primaryKey"`
	Competences StringArray
}

// Role is what an official may do.
type Role string

// The roles of officials.
const (
	RequestHandler         Role = "request_handler"
	Allocator              Role = "allocator"
	LocalDataAdministrator Role = "local_data_administrator"
	CoordinatorRole        Role = "coordinator"
)

// PerArea reports whether the role is held for one legislative area rather
// than for the whole authority.
func (r Role) PerArea() bool { return r == RequestHandler || r == Allocator }

// UserRole grants a role, for an area when the role is per area.
type UserRole struct {
	UserID   uuid.UUID `gorm:"type:uuid;primaryKey"`
	Role     Role      `gorm:"primaryKey"`
	AreaCode string    `gorm:"primaryKey"`
}

// Session is a bearer token's record; the token itself is never stored.
type Session struct {
	ID        uuid.UUID `gorm:"type:uuid;default:gen_random_uuid()"`
	TokenHash []byte
	UserID    uuid.UUID `gorm:"type:uuid"`
	ClientIP  string
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

// TokenPurpose says what a single-use emailed link is for.
type TokenPurpose string

// The purposes of single-use links.
const (
	ActivationToken    TokenPurpose = "activation"
	PasswordResetToken TokenPurpose = "password_reset"
)

// OneTimeToken is a single-use emailed link.
type OneTimeToken struct {
	ID        uuid.UUID `gorm:"type:uuid;default:gen_random_uuid()"`
	TokenHash []byte
	Purpose   TokenPurpose
	UserID    uuid.UUID `gorm:"type:uuid"`
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    *time.Time
}

// Invitation asks an authority to register.
type Invitation struct {
	ID            uuid.UUID `gorm:"type:uuid;default:gen_random_uuid()"`
	TokenHash     []byte
	Email         string
	Language      string
	CountryCode   string
	Region        string
	InvitedByUser uuid.UUID `gorm:"type:uuid"`
	InvitedByBody uuid.UUID `gorm:"type:uuid"`
	Note          string
	CreatedAt     time.Time
	ExpiresAt     time.Time
	UsedAt        *time.Time
}

// RegistrationStatus is where a registration stands.
type RegistrationStatus string

// The states of a registration.
const (
	RegistrationPending  RegistrationStatus = "pending"
	RegistrationApproved RegistrationStatus = "approved"
	RegistrationRejected RegistrationStatus = "rejected"
)

// Registration is an authority's request to join, awaiting a coordinator.
type Registration struct {
	ID           uuid.UUID  `gorm:"type:uuid;default:gen_random_uuid()"`
	AuthorityID  uuid.UUID  `gorm:"type:uuid"`
	FirstUserID  uuid.UUID  `gorm:"type:uuid"`
	InvitationID *uuid.UUID `gorm:"type:uuid"`
	Status       RegistrationStatus
	Reason       string
	DecidedBy    *uuid.UUID `gorm:"type:uuid"`
	DecidedAt    *time.Time
	RemindedAt   *time.Time
	EscalatedAt  *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Authority    Authority `gorm:"foreignKey:AuthorityID"`
}

// RegistrationEvent is one entry of a registration's timeline.
type RegistrationEvent struct {
	ID             int64
	RegistrationID uuid.UUID `gorm:"type:uuid"`
	EventKey       string
	Kind           string
	ActorUserID    *uuid.UUID `gorm:"type:uuid"`
	Note           string
	At             time.Time
}
