package models

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"github.com/openimi/openimi/internal/catalog"
)

// Country is the database copy of a participating country.
type Country struct {
	Code      string `gorm:"primaryKey"`
	Name      Translations
	Languages LanguageCodes
	RetiredAt *time.Time
	CreatedAt time.Time
	UpdatedAt time.Time
}

// TableName is the table of participating countries.
func (Country) TableName() string { return "countries" }

// Area is the database copy of a legislative area.
type Area struct {
	Code              string `gorm:"primaryKey"`
	Name              Translations
	LegalBasis        Translations
	Deadlines         AreaDeadlines
	BlockAfterMonths  int
	DeleteAfterMonths int
	RetiredAt         *time.Time
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

// TableName is the table of legislative areas.
func (Area) TableName() string { return "areas" }

// AreaQuestion is the database copy of one question of an area's set.
type AreaQuestion struct {
	AreaCode     string `gorm:"primaryKey"`
	Code         string `gorm:"primaryKey"`
	Position     int
	AnswerType   string
	PersonalData bool
	Text         Translations
	Options      QuestionOptions
	RetiredAt    *time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// TableName is the table of the areas' questions.
func (AreaQuestion) TableName() string { return "area_questions" }

// AreaCompetence is the database copy of one entry of an area's
// competence list.
type AreaCompetence struct {
	AreaCode   string `gorm:"primaryKey"`
	Code       string `gorm:"primaryKey"`
	Position   int
	Label      Translations
	Keywords   SearchKeywords
	SearchText string
	RetiredAt  *time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// TableName is the table of the areas' competences.
func (AreaCompetence) TableName() string { return "area_competences" }

// CatalogChanges counts what a SyncCatalog run wrote.
type CatalogChanges struct {
	// Written rows were inserted, changed, or brought back from retirement.
	Written int64
	// Retired rows left the files and were marked retired.
	Retired int64
}

// SyncCatalog makes the reference-data tables match the catalog, in one
// transaction. It is idempotent: rows whose content already matches are not
// touched (so a second run writes nothing and updated_at says when a text
// last changed); rows absent from the catalog are marked retired, never
// deleted, because requests and authorities reference them; a retired row
// that comes back is un-retired.
func (s *Store) SyncCatalog(ctx context.Context, cat *catalog.Catalog) (CatalogChanges, error) {
	var changes CatalogChanges
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Two processes migrating at once would otherwise interleave their
		// upserts and retirements; the lock ends with the transaction.
		if err := tx.Exec("SELECT pg_advisory_xact_lock(hashtext('openimi-catalog-sync'))").Error; err != nil {
			return fmt.Errorf("lock: %w", err)
		}
		now := time.Now().UTC()
		sync := catalogSync{tx: tx, now: now, changes: &changes}
		if err := sync.countries(cat.Countries()); err != nil {
			return err
		}
		return sync.areas(cat.Areas())
	})
	if err != nil {
		return CatalogChanges{}, fmt.Errorf("sync reference data: %w", err)
	}
	return changes, nil
}

type catalogSync struct {
	tx      *gorm.DB
	now     time.Time
	changes *CatalogChanges
}

func (s catalogSync) countries(countries []catalog.Country) error {
	rows := make([]Country, len(countries))
	codes := make([]string, len(countries))
	for i, c := range countries {
		rows[i] = Country{Code: c.Code, Name: Translations(c.Name), Languages: LanguageCodes(c.Languages)}
		codes[i] = c.Code
	}
	if err := s.upsert(&rows, "countries", []string{"code"}, "name", "languages"); err != nil {
		return err
	}
	return s.retire(&Country{}, "countries", "code NOT IN ?", codes)
}

func (s catalogSync) areas(areas []catalog.Area) error {
	rows := make([]Area, len(areas))
	codes := make([]string, len(areas))
	for i, a := range areas {
		rows[i] = Area{
			Code:              a.Code,
			Name:              Translations(a.Name),
			LegalBasis:        Translations(a.LegalBasis),
			Deadlines:         AreaDeadlines(a.Deadlines),
			BlockAfterMonths:  a.Retention.BlockAfterMonths,
			DeleteAfterMonths: a.Retention.DeleteAfterMonths,
		}
		codes[i] = a.Code
	}
	if err := s.upsert(&rows, "areas", []string{"code"},
		"name", "legal_basis", "deadlines", "block_after_months", "delete_after_months"); err != nil {
		return err
	}
	if err := s.retire(&Area{}, "areas", "code NOT IN ?", codes); err != nil {
		return err
	}
	// The questions and competences of a retired area are retired with it.
	if err := s.retire(&AreaQuestion{}, "questions of retired areas", "area_code NOT IN ?", codes); err != nil {
		return err
	}
	if err := s.retire(&AreaCompetence{}, "competences of retired areas", "area_code NOT IN ?", codes); err != nil {
		return err
	}
	for _, a := range areas {
		if err := s.questions(a); err != nil {
			return err
		}
		if err := s.competences(a); err != nil {
			return err
		}
	}
	return nil
}

func (s catalogSync) questions(a catalog.Area) error {
	rows := make([]AreaQuestion, len(a.Questions))
	codes := make([]string, len(a.Questions))
	for i, q := range a.Questions {
		rows[i] = AreaQuestion{
			AreaCode:     a.Code,
			Code:         q.Code,
			Position:     i + 1,
			AnswerType:   string(q.Type),
			PersonalData: q.PersonalData,
			Text:         Translations(q.Text),
			Options:      QuestionOptions(q.Options),
		}
		codes[i] = q.Code
	}
	table := "questions of area " + a.Code
	if err := s.upsert(&rows, table, []string{"area_code", "code"},
		"position", "answer_type", "personal_data", "text", "options"); err != nil {
		return err
	}
	return s.retire(&AreaQuestion{}, table, "area_code = ? AND code NOT IN ?", a.Code, codes)
}

func (s catalogSync) competences(a catalog.Area) error {
	rows := make([]AreaCompetence, len(a.Competences))
	codes := make([]string, len(a.Competences))
	for i, c := range a.Competences {
		rows[i] = AreaCompetence{
			AreaCode:   a.Code,
			Code:       c.Code,
			Position:   i + 1,
			Label:      Translations(c.Label),
			Keywords:   SearchKeywords(c.Keywords),
			SearchText: strings.Join(c.SearchTerms(), "\n"),
		}
		codes[i] = c.Code
	}
	table := "competences of area " + a.Code
	if err := s.upsert(&rows, table, []string{"area_code", "code"},
		"position", "label", "keywords", "search_text"); err != nil {
		return err
	}
	return s.retire(&AreaCompetence{}, table, "area_code = ? AND code NOT IN ?", a.Code, codes)
}

// upsert inserts rows, or updates the existing row with the same key when
// its content differs. Rows equal to what is stored are left alone, retired
// rows present again are un-retired (retired_at is NULL in rows).
func (s catalogSync) upsert(rows any, what string, key []string, content ...string) error {
	table := s.tx.Statement.Quote(tableOf(rows))
	keyColumns := make([]clause.Column, len(key))
	for i, k := range key {
		keyColumns[i] = clause.Column{Name: k}
	}
	compared := slices.Concat(content, []string{"retired_at"})
	stored := make([]string, len(compared))
	incoming := make([]string, len(compared))
	for i, c := range compared {
		stored[i] = table + "." + c
		incoming[i] = "excluded." + c
	}
	res := s.tx.Clauses(clause.OnConflict{
		Columns:   keyColumns,
		DoUpdates: clause.AssignmentColumns(slices.Concat(compared, []string{"updated_at"})),
		Where: clause.Where{Exprs: []clause.Expression{clause.Expr{
			SQL: "(" + strings.Join(stored, ", ") + ") IS DISTINCT FROM (" + strings.Join(incoming, ", ") + ")",
		}}},
	}).Create(rows)
	if res.Error != nil {
		return fmt.Errorf("write %s: %w", what, res.Error)
	}
	s.changes.Written += res.RowsAffected
	return nil
}

// retire marks retired the live rows of model's table that the condition
// selects.
func (s catalogSync) retire(model any, what string, condition string, args ...any) error {
	res := s.tx.Model(model).Where(condition, args...).Where("retired_at IS NULL").
		Updates(map[string]any{"retired_at": s.now, "updated_at": s.now})
	if res.Error != nil {
		return fmt.Errorf("retire %s: %w", what, res.Error)
	}
	s.changes.Retired += res.RowsAffected
	return nil
}

func tableOf(rows any) string {
	switch rows.(type) {
	case *[]Country:
		return Country{}.TableName()
	case *[]Area:
		return Area{}.TableName()
	case *[]AreaQuestion:
		return AreaQuestion{}.TableName()
	case *[]AreaCompetence:
		return AreaCompetence{}.TableName()
	}
	panic(fmt.Sprintf("models: no table for %T", rows))
}

// Translations is a text in several languages, stored as a jsonb object
// keyed by ISO 639-1 code.
type Translations map[string]string

// Value stores the translations as JSON.
func (t Translations) Value() (driver.Value, error) { return jsonValue(t, "{}") }

// Scan reads them back.
func (t *Translations) Scan(src any) error { return jsonScan(src, t) }

// LanguageCodes are ISO 639-1 codes, stored as a jsonb array.
type LanguageCodes []string

// Value stores the codes as JSON.
func (l LanguageCodes) Value() (driver.Value, error) { return jsonValue(l, "[]") }

// Scan reads them back.
func (l *LanguageCodes) Scan(src any) error { return jsonScan(src, l) }

// SearchKeywords are a competence's search terms per language, stored as a
// jsonb object of arrays.
type SearchKeywords map[string][]string

// Value stores the keywords as JSON.
func (k SearchKeywords) Value() (driver.Value, error) { return jsonValue(k, "{}") }

// Scan reads them back.
func (k *SearchKeywords) Scan(src any) error { return jsonScan(src, k) }

// QuestionOptions are a choice question's coded answers, stored as a jsonb
// array of {"code", "label"} objects.
type QuestionOptions []catalog.Option

// Value stores the options as JSON.
func (o QuestionOptions) Value() (driver.Value, error) { return jsonValue(o, "[]") }

// Scan reads them back.
func (o *QuestionOptions) Scan(src any) error { return jsonScan(src, o) }

// AreaDeadlines are an area's default timers, stored as jsonb in the shape
// of catalog.Deadlines.
type AreaDeadlines catalog.Deadlines

// Value stores the deadlines as JSON.
func (d AreaDeadlines) Value() (driver.Value, error) { return jsonValue(d, "{}") }

// Scan reads them back.
func (d *AreaDeadlines) Scan(src any) error { return jsonScan(src, d) }

// jsonValue encodes v; an empty map or slice is stored as empty, not null,
// so that the columns' type checks hold and readers need no null case.
func jsonValue[T any](v T, empty string) (driver.Value, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return empty, nil
	}
	return string(b), nil
}

func jsonScan(src, into any) error {
	switch v := src.(type) {
	case []byte:
		return json.Unmarshal(v, into)
	case string:
		return json.Unmarshal([]byte(v), into)
	case nil:
		return nil
	}
	return fmt.Errorf("models: cannot read %T as JSON", src)
}
