package activities

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"go.temporal.io/sdk/temporal"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func TestClassify_WhatPostgreSQLRefusesForGoodIsNonRetryableAndAnOutageIsNot(t *testing.T) {
	db := testenv.Database(t)
	ctx := context.Background()
	nul := db.WithContext(ctx).Exec("SELECT ?::text", "Jan\x00Kowalski").Error
	jsonNul := db.WithContext(ctx).Exec("SELECT ?::jsonb", `{"a":"\u0000"}`).Error
	notNull := db.WithContext(ctx).Exec("CREATE TEMP TABLE t (x int NOT NULL); INSERT INTO t VALUES (NULL)").Error

	closed := testenv.Database(t)
	sqlDB, err := closed.DB()
	if err != nil {
		t.Fatal(err)
	}
	_ = sqlDB.Close()
	outage := closed.WithContext(ctx).Exec("SELECT 1").Error

	cases := []struct {
		name     string
		err      error
		wantType string // empty: retryable
	}{
		{"NUL byte in a text (22021)", nul, ErrTypeInvalidData},
		{"NUL escape in jsonb (22P05)", jsonNul, ErrTypeInvalidData},
		{"not-null violation (23502)", notNull, ErrTypeConstraintViolated},
		{"unknown request", fmt.Errorf("load: %w", models.ErrNotFound), ErrTypeUnknownReference},
		{"connection closed", outage, ""},
		{"deadline", context.DeadlineExceeded, ""},
		{"serialization failure (40001)", fmt.Errorf("record: %w", &pgconn.PgError{Code: "40001"}), ""},
		{"deadlock (40P01)", fmt.Errorf("record: %w", &pgconn.PgError{Code: "40P01"}), ""},
		{"admin shutdown (57P01)", fmt.Errorf("record: %w", &pgconn.PgError{Code: "57P01"}), ""},
		{"value too large to index (54000)", fmt.Errorf("record: %w", &pgconn.PgError{Code: "54000"}), ErrTypeInvalidData},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.err == nil {
				t.Fatal("the statement did not fail")
			}
			got := classify("record", c.err)
			var appErr *temporal.ApplicationError
			isApp := errors.As(got, &appErr)
			switch {
			case c.wantType == "" && isApp && appErr.NonRetryable():
				t.Errorf("%v classified non-retryable (%s), want retryable", c.err, appErr.Type())
			case c.wantType != "" && (!isApp || !appErr.NonRetryable() || appErr.Type() != c.wantType):
				t.Errorf("%v classified %v, want non-retryable %s", c.err, got, c.wantType)
			}
		})
	}
}
