package models

import (
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
)

// StringArray is a PostgreSQL text[].
type StringArray []string

// Scan reads text[].
func (a *StringArray) Scan(src any) error {
	if src == nil {
		*a = nil
		return nil
	}
	var out []string
	if err := pgtype.NewMap().SQLScanner(&out).Scan(src); err != nil {
		return fmt.Errorf("text[]: %w", err)
	}
	*a = out
	return nil
}

// GormDataType names the column type, without which GORM cannot parse a
// struct holding a StringArray (every query of authorities with their areas
// failed with "unsupported data type").
func (StringArray) GormDataType() string { return "text[]" }

// Value writes text[]; the pgx driver encodes a []string as an array.
func (a StringArray) Value() (driver.Value, error) {
	if a == nil {
		return []string{}, nil
	}
	return []string(a), nil
}

// JSONObject is a jsonb object of any values.
type JSONObject map[string]any

// Scan reads jsonb.
func (o *JSONObject) Scan(src any) error { return jsonScan(src, o) }

// Value writes jsonb.
func (o JSONObject) Value() (driver.Value, error) { return jsonValue(o, "{}") }
