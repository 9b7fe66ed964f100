package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"
	"gorm.io/gorm"

	"github.com/openimi/openimi/models"
)

// Types of the non-retryable errors the activities return. Temporal stops
// retrying at once, and the workflow sees the type: the input of the
// activity is what is wrong, so another attempt would fail the same way.
const (
	// ErrTypeInvalidData: PostgreSQL refused a value (SQLSTATE class 22,
	// e.g. a NUL byte in a text, or 54, a value past a limit), or a
	// payload could not be encoded or decoded.
	ErrTypeInvalidData = "InvalidData"
	// ErrTypeConstraintViolated: an integrity constraint (class 23) other
	// than the idempotency conflict, which the writes absorb with ON
	// CONFLICT DO NOTHING and so never surface.
	ErrTypeConstraintViolated = "ConstraintViolated"
	// ErrTypeUnknownReference: a record the activity needs does not exist.
	ErrTypeUnknownReference = "UnknownReference"
	// ErrTypeInvalidNotification: a mail that must not be sent (a link
	// outside PUBLIC_URL, a field the kind does not show).
	ErrTypeInvalidNotification = "invalid_notification"
)

// permanentSQLClass names the SQLSTATE classes that retrying the same
// statement with the same values cannot cure. Everything else (08
// connection, 40 serialization failure and deadlock, 53 insufficient
// resources, 55 lock not available, 57 operator intervention such as an
// admin shutdown, 42 a schema a migration has not reached yet) is worth
// another attempt within the retry policy's bound.
func permanentSQLClass(class string) string {
	switch class {
	case "22", "54": // data exception; program limit exceeded (a value too large to index)
		return ErrTypeInvalidData
	case "23": // integrity constraint violation
		return ErrTypeConstraintViolated
	}
	return ""
}

// classify marks err non-retryable when another attempt cannot succeed,
// and leaves it retryable otherwise. what says what the activity was
// doing, for the message.
func classify(what string, err error) error {
	if err == nil {
		return nil
	}
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) {
		return err // classified already
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if errType := permanentType(err); errType != "" {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s: %v", what, err), errType, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// permanentType names the kind of a permanent error, or is empty for an
// error worth retrying.
func permanentType(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 {
		return permanentSQLClass(pgErr.Code[:2])
	}
	var (
		syntaxErr      *json.SyntaxError
		typeErr        *json.UnmarshalTypeError
		unsupportedErr *json.UnsupportedValueError
		unsupportedTyp *json.UnsupportedTypeError
	)
	switch {
	case errors.Is(err, models.ErrNotFound), errors.Is(err, gorm.ErrRecordNotFound):
		return ErrTypeUnknownReference
	case errors.As(err, &syntaxErr), errors.As(err, &typeErr), errors.As(err, &unsupportedErr), errors.As(err, &unsupportedTyp):
		return ErrTypeInvalidData
	}
	return ""
}
