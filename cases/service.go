package cases

import (
	"log/slog"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

// Settings are the parts of the configuration use cases follow.
type Settings struct {
	// PublicURL is the base of links sent by email.
	PublicURL string
	// TaskQueue is where workflows are started.
	TaskQueue string
	// Day is the length of one day in deadline arithmetic.
	Day time.Duration
	// SessionTTL is how long a session lasts.
	SessionTTL time.Duration
}

// Deps is what the use cases need.
type Deps struct {
	Log      *slog.Logger
	Store    *models.Store
	Temporal client.Client
	Catalog  *catalog.Catalog
	Settings Settings
}

// Service runs the use cases. One is built at start and shared by the JSON
// API and the pages.
type Service struct {
	log      *slog.Logger
	store    *models.Store
	temporal client.Client
	catalog  *catalog.Catalog
	settings Settings
	validate *Validator
}

// New builds the Service.
func New(d Deps) *Service {
	return &Service{log: d.Log, store: d.Store, temporal: d.Temporal, catalog: d.Catalog, settings: d.Settings, validate: NewValidator()}
}

// Validator is the input check the adapters use for what they bind
// themselves (a path id, a query string) before calling a use case.
func (s *Service) Validator() *Validator { return s.validate }

// Caller is who calls a use case: the signed-in principal, with what the
// adapter knows of the connection. Anonymous use cases (sign-in,
// activation) take a Caller with no principal.
type Caller struct {
	policy.Principal
	// Session is the signed-in account as the store read it; zero when
	// anonymous.
	Session models.SessionUser
	// Address is the client's network address, for the limits on
	// attempts.
	Address string
	// Language is the reader's language, negotiated by the adapter.
	Language string
}

// SignedIn reports whether the caller has a session.
func (c Caller) SignedIn() bool { return c.UserID != [16]byte{} }
