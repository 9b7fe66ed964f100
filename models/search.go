package models

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// AuthoritySearch is a directory search: words and filters, one page.
type AuthoritySearch struct {
	// Words match designations, descriptions, names and competence labels
	// in any language, without regard to case or accents; each word may be
	// the start of a longer one.
	Words      string
	Country    string
	Area       string
	Competence string
	Level      Level
	Region     string
	Page       int
	PageSize   int
}

// SearchExactMatches bounds the work of one search, so that a word found in
// most of the directory costs what a rare one does (docs/BENCHMARKS.md).
// A search with at most this many matches is exact: all of them are ranked
// and counted. A broader one ranks its first SearchExactMatches matches in
// name order, lists the others after them in name order, and reports
// PostgreSQL's estimate of how many it has (never fewer than
// SearchExactMatches+1): ranking and counting every match of a common word
// costs a microsecond or two per match, a hundred milliseconds over the
// 100,000 authorities of the benchmark.
const SearchExactMatches = 200

// searchTerms turns free text into a tsquery of prefix terms. Only letters
// and digits survive, so nothing the caller types is tsquery syntax.
func searchTerms(words string) string {
	fields := strings.FieldsFunc(words, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	terms := make([]string, 0, len(fields))
	for _, f := range fields {
		terms = append(terms, f+":*")
	}
	return strings.Join(terms, " & ")
}

// searchWord is one word of a search: its tsquery, and the competences
// whose labels or keywords it matches, for which it finds the authorities
// that hold them.
type searchWord struct {
	query       string
	competences []string
}

// searchFilter is the WHERE clause of a search over "authorities a", with
// its arguments. Every word must match the authority's own words or one of
// its competences.
func searchFilter(q AuthoritySearch, words []searchWord) (string, []any) {
	// A constant, not a parameter, so that the partial indexes on active
	// authorities apply to every plan.
	conds := []string{"a.status = '" + string(AuthorityActive) + "'"}
	var args []any
	add := func(cond string, values ...any) {
		conds = append(conds, cond)
		args = append(args, values...)
	}
	for _, w := range words {
		if len(w.competences) == 0 {
			add("a.search_document @@ ?::tsquery", w.query)
			continue
		}
		add("(a.search_document @@ ?::tsquery OR EXISTS (SELECT 1 FROM authority_areas aw WHERE aw.authority_id = a.id AND aw.competences && ?::text[]))",
			w.query, StringArray(w.competences))
	}
	if q.Country != "" {
		add("a.country_code = ?", q.Country)
	}
	if q.Level != "" {
		add("a.level = ?", q.Level)
	}
	if q.Region != "" {
		add("lower(a.region) = lower(?)", q.Region)
	}
	switch {
	case q.Area != "" && q.Competence != "":
		add("EXISTS (SELECT 1 FROM authority_areas aa WHERE aa.authority_id = a.id AND aa.area_code = ? AND ? = ANY(aa.competences))", q.Area, q.Competence)
	case q.Area != "":
		add("EXISTS (SELECT 1 FROM authority_areas aa WHERE aa.authority_id = a.id AND aa.area_code = ?)", q.Area)
	case q.Competence != "":
		add("EXISTS (SELECT 1 FROM authority_areas aa WHERE aa.authority_id = a.id AND ? = ANY(aa.competences))", q.Competence)
	}
	return strings.Join(conds, " AND "), args
}

// SearchAuthorities finds active authorities, best matches first (by text
// rank, then name; by name alone without words), and counts the matches for
// paging: exactly up to SearchExactMatches, estimated beyond.
func (s *Store) SearchAuthorities(ctx context.Context, q AuthoritySearch) ([]Authority, int64, error) {
	var found []Authority
	var total int64
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Plans for these values, not generic ones: a generic plan knows
		// neither how common the words are nor that the status is "active",
		// and picks scans that read the whole directory.
		if err := tx.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
			return fmt.Errorf("search authorities: %w", err)
		}
		words, query, err := textQuery(tx, q.Words)
		if err != nil {
			return err
		}
		where, args := searchFilter(q, words)
		offset := max(q.Page-1, 0) * q.PageSize
		var ids []uuid.UUID
		if query == "" {
			if total, err = countMatches(tx, where, args); err != nil {
				return err
			}
			if total > int64(offset) {
				ids, err = idsInNameOrder(tx, where, args, offset, q.PageSize)
			}
		} else {
			ids, total, err = rankedPage(tx, where, args, query, offset, q.PageSize)
		}
		if err != nil || len(ids) == 0 {
			return err
		}
		found, err = authoritiesInOrder(tx, ids)
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	if found == nil {
		found = []Authority{}
	}
	return found, total, nil
}

// textQuery turns the search's words into tsqueries without accents, each
// with the competences it names, and the tsquery of them all, which ranks.
// Computed once: written into the search's conditions, unaccent (a stable,
// not an immutable function) would run again for every row a plan filters.
// The accents go first and the words are cut after, since unaccent turns a
// few letters into tsquery syntax (ʼ into an apostrophe, ː into a colon).
func textQuery(db *gorm.DB, text string) ([]searchWord, string, error) {
	if searchTerms(text) == "" {
		return nil, "", nil
	}
	var plain string
	if err := db.Raw("SELECT unaccent(?)", text).Scan(&plain).Error; err != nil {
		return nil, "", fmt.Errorf("search authorities: %w", err)
	}
	terms := strings.Split(searchTerms(plain), " & ")
	if terms[0] == "" {
		return nil, "", nil
	}
	words := make([]searchWord, 0, len(terms))
	for _, term := range terms {
		var w struct {
			Query       string
			Competences StringArray
		}
		err := db.Raw(`SELECT to_tsquery('simple', ?)::text AS query,
			ARRAY(SELECT DISTINCT code FROM area_competences
			      WHERE retired_at IS NULL AND search_vector @@ to_tsquery('simple', ?) ORDER BY code) AS competences`,
			term, term).Scan(&w).Error
		if err != nil {
			return nil, "", fmt.Errorf("search authorities: %w", err)
		}
		words = append(words, searchWord{query: w.Query, competences: w.Competences})
	}
	var all string
	if err := db.Raw("SELECT to_tsquery('simple', ?)::text", strings.Join(terms, " & ")).Scan(&all).Error; err != nil {
		return nil, "", fmt.Errorf("search authorities: %w", err)
	}
	return words, all, nil
}

// countMatches counts up to SearchExactMatches+1 matches, and asks the
// planner for its estimate when there are more.
func countMatches(db *gorm.DB, where string, args []any) (int64, error) {
	var n int64
	err := db.Raw("SELECT count(*) FROM (SELECT 1 FROM authorities a WHERE "+where+" LIMIT ?) m",
		append(slices.Clone(args), SearchExactMatches+1)...).Scan(&n).Error
	if err != nil {
		return 0, fmt.Errorf("count search results: %w", err)
	}
	if n <= SearchExactMatches {
		return n, nil
	}
	return estimateMatches(db, where, args)
}

// estimateMatches is the planner's estimate of a search's matches, from the
// statistics ANALYZE keeps: a plan, not a scan.
func estimateMatches(db *gorm.DB, where string, args []any) (int64, error) {
	var plan string
	if err := db.Raw("EXPLAIN (FORMAT JSON) SELECT 1 FROM authorities a WHERE "+where, args...).Scan(&plan).Error; err != nil {
		return 0, fmt.Errorf("estimate search results: %w", err)
	}
	var parsed []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	if err := json.Unmarshal([]byte(plan), &parsed); err != nil || len(parsed) == 0 {
		return 0, fmt.Errorf("estimate search results: unreadable plan: %v", err)
	}
	return max(int64(parsed[0].Plan.Rows), SearchExactMatches+1), nil
}

// idsInNameOrder is one page of matches in name order.
func idsInNameOrder(db *gorm.DB, where string, args []any, offset, limit int) ([]uuid.UUID, error) {
	var ids []uuid.UUID
	err := db.Raw("SELECT a.id FROM authorities a WHERE "+where+" ORDER BY a.official_name, a.id OFFSET ? LIMIT ?",
		append(slices.Clone(args), offset, limit)...).Scan(&ids).Error
	if err != nil {
		return nil, fmt.Errorf("search authorities: %w", err)
	}
	return ids, nil
}

// rankedPage is one page of a text search and its total. The first
// SearchExactMatches matches in name order are found once and ranked in SQL;
// one more tells whether there are others. Only ids and names travel
// through the sorts: the documents are fetched again for the few rows
// ranked, rather than dragged wide through a sort of every match.
func rankedPage(db *gorm.DB, where string, args []any, query string, offset, limit int) ([]uuid.UUID, int64, error) {
	var window []struct {
		ID  uuid.UUID
		Pos int
	}
	err := db.Raw(`
		SELECT w.id, w.pos
		FROM (
			SELECT a.id, a.official_name, row_number() OVER (ORDER BY a.official_name, a.id) AS pos
			FROM authorities a
			WHERE `+where+`
			ORDER BY a.official_name, a.id
			LIMIT ?
		) w
		JOIN authorities d ON d.id = w.id
		ORDER BY w.pos > ?, d.name_document @@ ?::tsquery DESC, ts_rank(d.search_document, ?::tsquery) DESC, w.official_name, w.id`,
		append(slices.Clone(args), SearchExactMatches+1, SearchExactMatches, query, query)...).Scan(&window).Error
	if err != nil {
		return nil, 0, fmt.Errorf("search authorities: %w", err)
	}
	if len(window) <= SearchExactMatches {
		ids := make([]uuid.UUID, 0, limit)
		for _, row := range window[min(offset, len(window)):min(offset+limit, len(window))] {
			ids = append(ids, row.ID)
		}
		return ids, int64(len(window)), nil
	}
	total, err := estimateMatches(db, where, args)
	if err != nil {
		return nil, 0, err
	}
	var ids []uuid.UUID
	for _, row := range window[min(offset, SearchExactMatches):min(offset+limit, SearchExactMatches)] {
		ids = append(ids, row.ID)
	}
	if rest := offset + limit - max(offset, SearchExactMatches); rest > 0 {
		more, err := idsInNameOrder(db, where, args, max(offset, SearchExactMatches), rest)
		if err != nil {
			return nil, 0, err
		}
		ids = append(ids, more...)
	}
	return ids, total, nil
}

// authorityColumns are what a search shows: everything but the search
// document, which is large and never read back.
var authorityColumns = []string{"id", "kind", "country_code", "region", "level", "official_name", "official_name_lang",
	"designation", "description", "street", "postal_code", "city", "functional_mailbox", "phone", "status",
	"scope_area", "status_reason", "created_at", "updated_at"}

// authoritiesInOrder loads authorities with their areas, in the order of
// ids.
func authoritiesInOrder(db *gorm.DB, ids []uuid.UUID) ([]Authority, error) {
	var loaded []Authority
	err := db.Model(&Authority{}).Select(authorityColumns).
		Preload("Areas", func(db *gorm.DB) *gorm.DB { return db.Order("area_code") }).
		Where("id IN ?", ids).Find(&loaded).Error
	if err != nil {
		return nil, fmt.Errorf("load search results: %w", err)
	}
	byID := make(map[uuid.UUID]Authority, len(loaded))
	for _, a := range loaded {
		byID[a.ID] = a
	}
	found := make([]Authority, 0, len(ids))
	for _, id := range ids {
		if a, ok := byID[id]; ok {
			found = append(found, a)
		}
	}
	return found, nil
}
