package models

import (
	"context"
	"fmt"
	"strings"
	"unicode"

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

// SearchAuthorities finds active authorities, best matches first (by text
// rank, then name), and counts all matches for paging.
func (s *Store) SearchAuthorities(ctx context.Context, q AuthoritySearch) ([]Authority, int64, error) {
	db := s.db.WithContext(ctx).Model(&Authority{}).Where("authorities.status = ?", AuthorityActive)
	terms := searchTerms(q.Words)
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
	var total int64
	if err := db.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count search results: %w", err)
	}
	if total == 0 {
		return []Authority{}, 0, nil
	}
	order := "authorities.official_name, authorities.id"
	if terms != "" {
		order = "ts_rank(authorities.search_document, to_tsquery('simple', unaccent(?))) DESC, " + order
		db = db.Order(gorm.Expr(order, terms))
	} else {
		db = db.Order(order)
	}
	var found []Authority
	err := db.Preload("Areas", func(db *gorm.DB) *gorm.DB { return db.Order("area_code") }).
		Limit(q.PageSize).Offset((q.Page - 1) * q.PageSize).Find(&found).Error
	if err != nil {
		return nil, 0, fmt.Errorf("search authorities: %w", err)
	}
	return found, total, nil
}
