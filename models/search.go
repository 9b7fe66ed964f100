package models

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
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
	// NamesOnly leaves the results' areas and competences unread: a list
	// to choose an authority from shows its name and region alone, and
	// reading a hundred authorities' areas would cost more than the search.
	NamesOnly bool
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

// competenceLexeme is how a search document names a competence the
// authority holds (migration 00009): no word of a document starts with @.
func competenceLexeme(code string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace("@"+code) + "'"
}

// matchQuery is the tsquery an authority's search document satisfies when
// every word matches: the word itself, or one of the competences it names.
// PostgreSQL tests the words in the order written and stops at the first
// that fails, so words naming fewer competences (fewer lexemes to look up)
// go first: for "medical chamber" that takes a quarter off the walk.
func matchQuery(words []searchWord) string {
	words = slices.Clone(words)
	slices.SortStableFunc(words, func(a, b searchWord) int { return len(a.competences) - len(b.competences) })
	parts := make([]string, 0, len(words))
	for _, w := range words {
		alternatives := []string{w.query}
		for _, c := range w.competences {
			alternatives = append(alternatives, competenceLexeme(c))
		}
		parts = append(parts, "("+strings.Join(alternatives, " | ")+")")
	}
	return strings.Join(parts, " & ")
}

// searchFilter is the WHERE clause of a search over "authorities a", with
// its arguments. match is matchQuery's tsquery, or "" for a search without
// words.
func searchFilter(q AuthoritySearch, match string) (string, []any) {
	// A constant, not a parameter, so that the partial indexes on active
	// authorities apply to every plan.
	conds := []string{"a.status = '" + string(AuthorityActive) + "'"}
	var args []any
	add := func(cond string, values ...any) {
		conds = append(conds, cond)
		args = append(args, values...)
	}
	if match != "" {
		add("a.search_document @@ ?::tsquery", match)
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

// wordsOnly reports whether a search filters by nothing but its words: the
// searches that walk the name-order index of search documents.
func (q AuthoritySearch) wordsOnly() bool {
	return q.Country == "" && q.Area == "" && q.Competence == "" && q.Level == "" && q.Region == ""
}

// SearchAuthorities finds active authorities, best matches first (by text
// rank, then name; by name alone without words), and counts the matches for
// paging: exactly up to SearchExactMatches, estimated beyond.
func (s *Store) SearchAuthorities(ctx context.Context, q AuthoritySearch) ([]Authority, int64, error) {
	var found []Authority
	var total int64
	// One snapshot for all the search's statements: a walk continued in a
	// later statement must not skip or repeat an authority that changed in
	// between. Read-only, so repeatable read never fails to serialize.
	snapshot := &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// Plans for these values, not generic ones: a generic plan knows
		// neither how common the words are nor that the status is "active",
		// and picks scans that read the whole directory.
		if err := tx.Exec("SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
			return fmt.Errorf("search authorities: %w", err)
		}
		match, rank, err := textQuery(tx, q.Words)
		if errors.Is(err, errNoPossibleMatch) {
			return nil
		}
		if err != nil {
			return err
		}
		where, args := searchFilter(q, match)
		offset := max(q.Page-1, 0) * q.PageSize
		var ids []uuid.UUID
		if match == "" {
			if total, err = countMatches(tx, where, args); err != nil {
				return err
			}
			if total > int64(offset) {
				ids, err = idsInNameOrder(tx, where, args, offset, q.PageSize)
			}
		} else {
			// The estimate is the total of a broad search; a search by
			// words alone also chooses by it how to find its matches, and
			// walks the index of search documents for its later pages.
			estimate := func() (int64, error) { return estimateMatches(tx, where, args) }
			later := func(offset, limit int) ([]uuid.UUID, error) { return idsInNameOrder(tx, where, args, offset, limit) }
			var window []uuid.UUID
			if q.wordsOnly() {
				var estimated int64
				if estimated, err = estimateMatches(tx, where, args); err != nil {
					return err
				}
				estimate = func() (int64, error) { return estimated, nil }
				later = func(offset, limit int) ([]uuid.UUID, error) { return walkForPage(tx, match, offset, limit) }
				window, err = walkForMatches(tx, match, estimated, SearchExactMatches+1)
			} else {
				window, err = later(0, SearchExactMatches+1)
			}
			if err != nil {
				return err
			}
			ids, total, err = rankedPage(tx, window, rank, estimate, later, offset, q.PageSize)
		}
		if err != nil || len(ids) == 0 {
			return err
		}
		found, err = authoritiesInOrder(tx, ids, !q.NamesOnly)
		return err
	}, snapshot)
	if err != nil {
		return nil, 0, err
	}
	if found == nil {
		found = []Authority{}
	}
	return found, total, nil
}

// errNoPossibleMatch: a word of the search can match no authority.
var errNoPossibleMatch = errors.New("a search word that matches nothing")

// textQuery turns the search's words into the tsquery that matches (see
// matchQuery) and the one that ranks (the words alone), both without
// accents. Computed once: written into the search's conditions, unaccent (a
// stable, not an immutable function) would run again for every row a plan
// filters. The accents go first and the words are cut after, since
// unaccent turns a few letters into tsquery syntax (ʼ into an apostrophe, ː
// into a colon).
func textQuery(db *gorm.DB, text string) (match, rank string, err error) {
	if searchTerms(text) == "" {
		return "", "", nil
	}
	var plain string
	if err := db.Raw("SELECT unaccent(?)", text).Scan(&plain).Error; err != nil {
		return "", "", fmt.Errorf("search authorities: %w", err)
	}
	terms := strings.Split(searchTerms(plain), " & ")
	if terms[0] == "" {
		return "", "", nil
	}
	// One statement for every word, and the ranking query with each row.
	var rows []struct {
		Query       string
		Competences StringArray
		Rank        string
	}
	err = db.Raw(`SELECT to_tsquery('simple', t.term)::text AS query,
			ARRAY(SELECT DISTINCT code FROM area_competences
			      WHERE retired_at IS NULL AND search_vector @@ to_tsquery('simple', t.term) ORDER BY code) AS competences,
			to_tsquery('simple', ?)::text AS rank
		FROM unnest(?::text[]) WITH ORDINALITY AS t(term, n)
		ORDER BY t.n`, strings.Join(terms, " & "), StringArray(terms)).Scan(&rows).Error
	if err != nil {
		return "", "", fmt.Errorf("search authorities: %w", err)
	}
	words := make([]searchWord, 0, len(rows))
	for _, r := range rows {
		if r.Query == "" {
			// A term of letters that PostgreSQL's parser does not take
			// for a word (its character tables are older than Go's):
			// nothing matches it, so nothing matches the search.
			return "", "", errNoPossibleMatch
		}
		words = append(words, searchWord{query: r.Query, competences: r.Competences})
		rank = r.Rank
	}
	return matchQuery(words), rank, nil
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

// rankedPage is one page of a text search and its total, given window, the
// first SearchExactMatches+1 matches in name order: the first
// SearchExactMatches are ranked in SQL, and one more tells whether there
// are others. Those are counted by estimate and listed by later, in name
// order.
func rankedPage(db *gorm.DB, window []uuid.UUID, rank string, estimate func() (int64, error),
	later func(offset, limit int) ([]uuid.UUID, error), offset, limit int) ([]uuid.UUID, int64, error) {
	var ranked []uuid.UUID
	err := db.Raw(`
		SELECT d.id
		FROM unnest(?::uuid[]) WITH ORDINALITY AS w(id, pos)
		JOIN authorities d ON d.id = w.id
		ORDER BY d.name_document @@ ?::tsquery DESC, ts_rank(d.search_document, ?::tsquery) DESC, w.pos`,
		StringArray(uuidStrings(window[:min(len(window), SearchExactMatches)])), rank, rank).Scan(&ranked).Error
	if err != nil {
		return nil, 0, fmt.Errorf("search authorities: %w", err)
	}
	if len(window) <= SearchExactMatches {
		return ranked[min(offset, len(ranked)):min(offset+limit, len(ranked))], int64(len(ranked)), nil
	}
	total, err := estimate()
	if err != nil {
		return nil, 0, err
	}
	ids := slices.Clone(ranked[min(offset, len(ranked)):min(offset+limit, len(ranked))])
	if rest := offset + limit - max(offset, SearchExactMatches); rest > 0 {
		more, err := later(max(offset, SearchExactMatches), rest)
		if err != nil {
			return nil, 0, err
		}
		ids = append(ids, more...)
	}
	return ids, total, nil
}

func uuidStrings(ids []uuid.UUID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.String()
	}
	return out
}

// authorityColumns are what a search shows: everything but the search
// document, which is large and never read back.
var authorityColumns = []string{"id", "kind", "country_code", "region", "level", "official_name", "official_name_lang",
	"designation", "description", "street", "postal_code", "city", "functional_mailbox", "phone", "status",
	"scope_area", "status_reason", "created_at", "updated_at"}

// authoritiesInOrder loads authorities, with their areas when withAreas,
// in the order of ids.
func authoritiesInOrder(db *gorm.DB, ids []uuid.UUID, withAreas bool) ([]Authority, error) {
	var loaded []Authority
	q := db.Model(&Authority{}).Select(authorityColumns)
	if withAreas {
		q = q.Preload("Areas", func(db *gorm.DB) *gorm.DB { return db.Order("area_code") })
	}
	err := q.Where("id IN ?", ids).Find(&loaded).Error
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
