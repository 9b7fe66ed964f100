package models

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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

// searchTerms turns free text into a tsquery of prefix terms; with a
// weight, each term matches only words of that weight. Only letters and
// digits survive, so nothing the caller types is tsquery syntax.
func searchTerms(words, weight string) string {
	fields := strings.FieldsFunc(words, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	terms := make([]string, 0, len(fields))
	for _, f := range fields {
		terms = append(terms, f+":*"+weight)
	}
	return strings.Join(terms, " & ")
}

// searchQuery selects the active authorities that match the words and the
// filters, unordered.
func (s *Store) searchQuery(ctx context.Context, q AuthoritySearch, terms string) *gorm.DB {
	db := s.db.WithContext(ctx).Model(&Authority{}).Where("authorities.status = ?", AuthorityActive)
	if terms != "" {
		db = db.Where("authorities.search_document @@ to_tsquery('simple', unaccent(?))", terms)
	}
	if q.Country != "" {
		db = db.Where("authorities.country_code = ?", q.Country)
	}
	if q.Level != "" {
		db = db.Where("authorities.level = ?", q.Level)
	}
	if q.Region != "" {
		db = db.Where("lower(authorities.region) = lower(?)", q.Region)
	}
	switch {
	case q.Area != "" && q.Competence != "":
		db = db.Where("EXISTS (SELECT 1 FROM authority_areas aa WHERE aa.authority_id = authorities.id AND aa.area_code = ? AND ? = ANY(aa.competences))", q.Area, q.Competence)
	case q.Area != "":
		db = db.Where("EXISTS (SELECT 1 FROM authority_areas aa WHERE aa.authority_id = authorities.id AND aa.area_code = ?)", q.Area)
	case q.Competence != "":
		db = db.Where("EXISTS (SELECT 1 FROM authority_areas aa WHERE aa.authority_id = authorities.id AND ? = ANY(aa.competences))", q.Competence)
	}
	return db
}

// SearchAuthorities finds active authorities, best matches first, and
// counts all matches for paging. Authorities whose own names and
// designations hold every word come first; then the text rank, which
// prefix matches make coarse, decides; then the name.
func (s *Store) SearchAuthorities(ctx context.Context, q AuthoritySearch) ([]Authority, int64, error) {
	terms := searchTerms(q.Words, "")
	var total int64
	if err := s.searchQuery(ctx, q, terms).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count search results: %w", err)
	}
	if total == 0 {
		return []Authority{}, 0, nil
	}
	order := clause.OrderBy{Expression: clause.Expr{SQL: "authorities.official_name, authorities.id"}}
	if terms != "" {
		order.Expression = clause.Expr{
			SQL: `authorities.search_document @@ to_tsquery('simple', unaccent(?)) DESC,
				ts_rank(authorities.search_document, to_tsquery('simple', unaccent(?))) DESC,
				authorities.official_name, authorities.id`,
			Vars: []any{searchTerms(q.Words, "A"), terms},
		}
	}
	var found []Authority
	err := s.searchQuery(ctx, q, terms).Clauses(order).
		Preload("Areas", func(db *gorm.DB) *gorm.DB { return db.Order("area_code") }).
		Limit(q.PageSize).Offset((q.Page - 1) * q.PageSize).Find(&found).Error
	if err != nil {
		return nil, 0, fmt.Errorf("search authorities: %w", err)
	}
	return found, total, nil
}
