package models

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Store reads and writes OpenIMI's records.
type Store struct {
	db *gorm.DB
}

// NewStore wraps an open database.
func NewStore(db *gorm.DB) *Store { return &Store{db: db} }

// DB exposes the handle for packages that build their own queries.
func (s *Store) DB() *gorm.DB { return s.db }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// EnsureHelpdeskAccount creates the first helpdesk account unless an
// account with that address exists; it never changes an existing one, so a
// password changed after bootstrap stays changed. It reports whether it
// created the account.
func (s *Store) EnsureHelpdeskAccount(ctx context.Context, email, passwordHash string) (bool, error) {
	user := User{
		Email:             strings.ToLower(strings.TrimSpace(email)),
		DisplayName:       "Helpdesk",
		PasswordHash:      passwordHash,
		PreferredLanguage: "en",
		IsHelpdesk:        true,
		Status:            UserActive,
	}
	res := s.db.WithContext(ctx).
		Clauses(clause.OnConflict{DoNothing: true}).
		Create(&user)
	if res.Error != nil {
		return false, fmt.Errorf("create helpdesk account %s: %w", email, res.Error)
	}
	return res.RowsAffected == 1, nil
}

// lockForUpdate is SELECT ... FOR UPDATE, for read-modify-write in a
// transaction.
var lockForUpdate = clause.Locking{Strength: "UPDATE"}
