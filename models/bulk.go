package models

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// DirectoryBatch is many authorities with their areas, and their officials
// with their roles, written at once.
type DirectoryBatch struct {
	// Authorities carry their ids (a zero id gets a fresh one), areas and
	// search text.
	Authorities []Authority
	// Users carry their ids and the ids of their authorities, which are in
	// the batch or in the database already.
	Users []User
	// Roles name their users by id.
	Roles []UserRole
}

// ErrDirectoryNotEmpty: a bulk load finds authorities in the directory.
var ErrDirectoryNotEmpty = fmt.Errorf("the directory has authorities already: %w", ErrConflict)

// bulkBatchSize bounds one statement: a thousand authorities with their
// search text are about a megabyte of parameters.
const bulkBatchSize = 1000

// bulkLock serialises bulk loads, so that two loads started at once cannot
// both find the directory empty.
const bulkLock = "SELECT pg_advisory_xact_lock(hashtext('openimi-directory-bulk'))"

// BulkCreateDirectory fills an empty directory, all or nothing, in one
// transaction of multi-row inserts whose search documents PostgreSQL
// computes. It is for a new installation (demo data, an import): it refuses
// a directory that has any authority with ErrDirectoryNotEmpty, so that
// running a load twice never doubles the data.
func (s *Store) BulkCreateDirectory(ctx context.Context, b DirectoryBatch) error {
	for i := range b.Authorities {
		if b.Authorities[i].ID == uuid.Nil {
			b.Authorities[i].ID = uuid.New()
		}
	}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Exec(bulkLock).Error; err != nil {
			return fmt.Errorf("lock the directory for a bulk load: %w", err)
		}
		// The commit reaches the disk before it returns, whatever the
		// server's default: until it has, VACUUM cannot mark the new rows
		// visible to all, and the VACUUM below would leave the visibility
		// map empty (as it did under the test stack's synchronous_commit
		// = off).
		if err := tx.Exec("SET LOCAL synchronous_commit = on").Error; err != nil {
			return fmt.Errorf("bulk load: %w", err)
		}
		empty, err := directoryIsEmpty(tx)
		if err != nil {
			return err
		}
		if !empty {
			return ErrDirectoryNotEmpty
		}
		for start := 0; start < len(b.Authorities); start += bulkBatchSize {
			chunk := b.Authorities[start:min(start+bulkBatchSize, len(b.Authorities))]
			if err := insertAuthorities(tx, chunk); err != nil {
				return err
			}
			if err := insertAreas(tx, chunk); err != nil {
				return err
			}
		}
		for start := 0; start < len(b.Users); start += bulkBatchSize {
			if err := insertUsers(tx, b.Users[start:min(start+bulkBatchSize, len(b.Users))]); err != nil {
				return err
			}
		}
		for start := 0; start < len(b.Roles); start += bulkBatchSize {
			if err := insertRoles(tx, b.Roles[start:min(start+bulkBatchSize, len(b.Roles))]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The planner still believes the tables empty until autovacuum comes
	// round, a minute or more later: the load test saw searches right
	// after seeding 100,000 authorities ten times slower (103 ms against
	// 8 ms for one common word) until it did. VACUUM too, for the
	// visibility map: until a page is marked all-visible, a search walking
	// the name-order index visits the rows of that page as well, six times
	// the work.
	if err := s.db.WithContext(ctx).Exec("VACUUM ANALYZE authorities, authority_areas, users, user_roles").Error; err != nil {
		return fmt.Errorf("vacuum the directory after a bulk load: %w", err)
	}
	return nil
}

// DirectoryIsEmpty reports whether no authority is registered yet.
func (s *Store) DirectoryIsEmpty(ctx context.Context) (bool, error) {
	return directoryIsEmpty(s.db.WithContext(ctx))
}

func directoryIsEmpty(db *gorm.DB) (bool, error) {
	var exists bool
	if err := db.Raw("SELECT EXISTS (SELECT 1 FROM authorities)").Scan(&exists).Error; err != nil {
		return false, fmt.Errorf("look for authorities: %w", err)
	}
	return !exists, nil
}

// columns gathers one text array per column, so that a whole batch is one
// INSERT ... SELECT FROM unnest(...) with a fixed number of parameters.
type columns [][]string

func newColumns(n, rows int) columns {
	c := make(columns, n)
	for i := range c {
		c[i] = make([]string, 0, rows)
	}
	return c
}

func (c columns) add(values ...string) {
	for i, v := range values {
		c[i] = append(c[i], v)
	}
}

func (c columns) args() []any {
	out := make([]any, len(c))
	for i, col := range c {
		out[i] = StringArray(col)
	}
	return out
}

// bulkError names what failed, and says conflict for a duplicate so that
// callers can tell it from a broken database.
func bulkError(what string, err error) error {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return fmt.Errorf("%s: %w", what, ErrConflict)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// translationsJSON is the jsonb text of translations; none is an empty
// object, as the column's default, rather than null.
func translationsJSON(t Translations) (string, error) {
	if t == nil {
		return "{}", nil
	}
	return jsonText(map[string]string(t))
}

func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func insertAuthorities(tx *gorm.DB, authorities []Authority) error {
	cols := newColumns(18, len(authorities))
	for _, a := range authorities {
		designation, err := translationsJSON(a.Designation)
		if err != nil {
			return fmt.Errorf("designation of %q: %w", a.OfficialName, err)
		}
		description, err := translationsJSON(a.Description)
		if err != nil {
			return fmt.Errorf("description of %q: %w", a.OfficialName, err)
		}
		codes, err := jsonText(competenceCodes(a.Areas))
		if err != nil {
			return fmt.Errorf("competences of %q: %w", a.OfficialName, err)
		}
		status := a.Status
		if status == "" {
			status = AuthorityPending
		}
		cols.add(a.ID.String(), string(a.Kind), a.CountryCode, a.Region, string(a.Level), a.OfficialName, a.OfficialNameLang,
			designation, description, a.Street, a.PostalCode, a.City, NormalizeEmail(a.FunctionalMailbox), a.Phone,
			string(status), a.ScopeArea, a.SearchText, codes)
	}
	err := tx.Exec(`
		INSERT INTO authorities (id, kind, country_code, region, level, official_name, official_name_lang,
			designation, description, street, postal_code, city, functional_mailbox, phone, status, scope_area,
			search_document, competence_codes)
		SELECT t.id::uuid, t.kind, t.country_code, t.region, t.level, t.official_name, t.official_name_lang,
			t.designation::jsonb, t.description::jsonb,
			t.street, t.postal_code, t.city, t.functional_mailbox, t.phone, t.status, t.scope_area,
			to_tsvector('simple', unaccent(t.search_text)), ARRAY(SELECT jsonb_array_elements_text(t.codes::jsonb))
		FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
			?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
			AS t(id, kind, country_code, region, level, official_name, official_name_lang, designation, description,
				street, postal_code, city, functional_mailbox, phone, status, scope_area, search_text, codes)`,
		cols.args()...).Error
	if err != nil {
		return bulkError(fmt.Sprintf("insert %d authorities", len(authorities)), err)
	}
	return nil
}

// competenceCodes are every competence of the areas, once each, in the
// bytewise order in which the database keeps authorities.competence_codes:
// written with the authority, they are what the areas' trigger would
// compute, so that it finds them equal and leaves the row alone.
func competenceCodes(areas []AuthorityArea) []string {
	codes := []string{}
	for _, area := range areas {
		codes = append(codes, area.Competences...)
	}
	slices.Sort(codes)
	return slices.Compact(codes)
}

func insertAreas(tx *gorm.DB, authorities []Authority) error {
	cols := newColumns(3, len(authorities))
	for _, a := range authorities {
		for _, area := range a.Areas {
			competences := area.Competences
			if competences == nil {
				competences = StringArray{}
			}
			text, err := jsonText([]string(competences))
			if err != nil {
				return fmt.Errorf("competences of %q: %w", a.OfficialName, err)
			}
			cols.add(a.ID.String(), area.AreaCode, text)
		}
	}
	if len(cols[0]) == 0 {
		return nil
	}
	// Competence lists travel as JSON: unnest would flatten a 2-D array.
	err := tx.Exec(`
		INSERT INTO authority_areas (authority_id, area_code, competences)
		SELECT t.authority_id::uuid, t.area_code, ARRAY(SELECT jsonb_array_elements_text(t.competences::jsonb))
		FROM unnest(?::text[], ?::text[], ?::text[]) AS t(authority_id, area_code, competences)`,
		cols.args()...).Error
	if err != nil {
		return bulkError(fmt.Sprintf("insert the areas of %d authorities", len(authorities)), err)
	}
	return nil
}

func insertUsers(tx *gorm.DB, users []User) error {
	cols := newColumns(7, len(users))
	for _, u := range users {
		if u.ID == uuid.Nil || u.AuthorityID == nil {
			return fmt.Errorf("user %s: a bulk-loaded user needs an id and an authority", u.Email)
		}
		status := u.Status
		if status == "" {
			status = UserPending
		}
		cols.add(u.ID.String(), NormalizeEmail(u.Email), u.DisplayName, u.PasswordHash, u.PreferredLanguage,
			u.AuthorityID.String(), string(status))
	}
	err := tx.Exec(`
		INSERT INTO users (id, email, display_name, password_hash, preferred_language, authority_id, status)
		SELECT t.id::uuid, t.email, t.display_name, nullif(t.password_hash, ''), coalesce(nullif(t.lang, ''), 'en'),
			t.authority_id::uuid, t.status
		FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
			AS t(id, email, display_name, password_hash, lang, authority_id, status)`,
		cols.args()...).Error
	if err != nil {
		return bulkError(fmt.Sprintf("insert %d users", len(users)), err)
	}
	return nil
}

func insertRoles(tx *gorm.DB, roles []UserRole) error {
	cols := newColumns(3, len(roles))
	for _, r := range roles {
		cols.add(r.UserID.String(), string(r.Role), r.AreaCode)
	}
	err := tx.Exec(`
		INSERT INTO user_roles (user_id, role, area_code)
		SELECT t.user_id::uuid, t.role, t.area_code
		FROM unnest(?::text[], ?::text[], ?::text[]) AS t(user_id, role, area_code)`,
		cols.args()...).Error
	if err != nil {
		return bulkError(fmt.Sprintf("grant %d roles", len(roles)), err)
	}
	return nil
}
