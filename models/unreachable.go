package models

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"

	"github.com/jackc/pgx/v5/pgconn"
)

// Unreachable reports whether err says the database could not be reached
// or is going away (a refused or broken connection, an administrator's
// shutdown, a server starting up), rather than that a statement was wrong:
// the caller may try again in a moment.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	if errors.As(err, &connectErr) || errors.As(err, &netErr) || errors.Is(err, driver.ErrBadConn) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && len(pgErr.Code) == 5 {
		// 08: connection exception; 57P01-57P03: shutting down, crashed,
		// cannot connect now (starting up or in recovery).
		return pgErr.Code[:2] == "08" || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	// A pool that waited in vain for a connection to a dead server.
	return errors.Is(err, context.DeadlineExceeded) && pgconn.Timeout(err)
}
