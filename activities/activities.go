package activities

import (
	"context"
	"time"

	"github.com/openimi/openimi/models"
)

// Activities holds what the side effects need. Workflows refer to its
// methods through a nil pointer; the worker registers one real instance.
type Activities struct {
	Store *models.Store
}

// ReadDatabaseClock returns the database's current time: proof that a
// worker reaches the database.
func (a *Activities) ReadDatabaseClock(ctx context.Context) (time.Time, error) {
	var now time.Time
	if err := a.Store.DB().WithContext(ctx).Raw("SELECT now()").Scan(&now).Error; err != nil {
		return time.Time{}, classify("read database clock", err)
	}
	return now.UTC(), nil
}
