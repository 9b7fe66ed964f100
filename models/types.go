package models

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
)

// Translations holds one text in several languages, keyed by language code;
// stored as jsonb.
type Translations map[string]string

// Scan reads jsonb.
func (t *Translations) Scan(src any) error {
	var b []byte
	switch v := src.(type) {
	case nil:
		*t = nil
		return nil
	case []byte:
		b = v
	case string:
		b = []byte(v)
	default:
		return fmt.Errorf("translations: cannot scan %T", src)
	}
	return json.Unmarshal(b, (*map[string]string)(t))
}

// Value writes jsonb.
func (t Translations) Value() (driver.Value, error) {
	if t == nil {
		return "{}", nil
	}
	b, err := json.Marshal(map[string]string(t))
	if err != nil {
		return nil, fmt.Errorf("translations: %w", err)
	}
	return string(b), nil
}

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
