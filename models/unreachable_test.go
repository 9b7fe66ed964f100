package models

import (
	"context"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestUnreachable_TellsADatabaseOutOfReachFromAStatementItRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, true},
		{"starting up", fmt.Errorf("read session: %w", &pgconn.PgError{Code: "57P03"}), true},
		{"connection failure", &pgconn.PgError{Code: "08006"}, true},
		{"NUL in a text", &pgconn.PgError{Code: "22021"}, false},
		{"unique violation", &pgconn.PgError{Code: "23505"}, false},
		{"refused", fmt.Errorf("ping: %w", &net.OpError{Op: "dial", Err: errors.New("connection refused")}), true},
		{"not found", ErrNotFound, false},
		{"caller gave up", context.Canceled, false},
	} {
		if got := Unreachable(tc.err); got != tc.want {
			t.Errorf("%s: Unreachable(%v) = %v, want %v", tc.name, tc.err, got, tc.want)
		}
	}
}

func TestUnreachable_AStoppedServerIsOutOfReach(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens there any more
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = pgconn.Connect(ctx, "postgres://openimi@"+addr+"/openimi?sslmode=disable&connect_timeout=2")
	if err == nil || !Unreachable(err) {
		t.Fatalf("connecting to a closed port: %v, Unreachable = %v", err, Unreachable(err))
	}
}
