package models

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// SetUserLanguage changes the language a user reads pages and mails in.
func (s *Store) SetUserLanguage(ctx context.Context, userID uuid.UUID, lang string) error {
	res := s.db.WithContext(ctx).Model(&User{}).Where("id = ?", userID).
		Updates(map[string]any{"preferred_language": lang, "updated_at": time.Now().UTC()})
	if res.Error != nil {
		return fmt.Errorf("set the language of user %s: %w", userID, res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
