package models_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
)

// referenceWindow is what a search by words must return on a page of
// SearchExactMatches, computed the slow and obvious way the search worked
// before it walked an index: every word matches the authority's own words
// or the labels of one of its competences in authority_areas; the first
// SearchExactMatches matches in name order, ranked by name, text rank (of
// the authority's own words) and name; then the next SearchExactMatches in
// name order, the second page. It also returns the exact count.
func referenceWindow(t *testing.T, store *models.Store, words, area, competence string) ([]uuid.UUID, int64) {
	t.Helper()
	var conds []string
	var args []any
	if area != "" {
		conds = append(conds, "EXISTS (SELECT 1 FROM authority_areas aa WHERE aa.authority_id = a.id AND aa.area_code = ? AND (? = '' OR ? = ANY(aa.competences)))")
		args = append(args, area, competence, competence)
	}
	for _, w := range strings.Fields(words) {
		conds = append(conds, `(a.search_document @@ to_tsquery('simple', unaccent(?) || ':*')
			OR EXISTS (SELECT 1 FROM authority_areas aw JOIN area_competences c ON c.code = ANY(aw.competences) AND c.retired_at IS NULL
			           WHERE aw.authority_id = a.id AND c.search_vector @@ to_tsquery('simple', unaccent(?) || ':*')))`)
		args = append(args, w, w)
	}
	where := "a.status = 'active' AND " + strings.Join(conds, " AND ")
	rank := "to_tsquery('simple', unaccent(?))"
	rankArg := strings.Join(strings.Fields(words), ":* & ") + ":*"
	var ids []uuid.UUID
	err := store.DB().Raw(`
		SELECT d.id FROM (
			SELECT a.id, a.official_name FROM authorities a WHERE `+where+` ORDER BY a.official_name, a.id LIMIT ?
		) w JOIN authorities d ON d.id = w.id
		ORDER BY d.name_document @@ `+rank+` DESC,
			ts_rank(ts_delete(d.search_document, ARRAY(SELECT '@' || c FROM unnest(d.competence_codes) c)), `+rank+`) DESC,
			w.official_name, w.id`,
		append(append(slices.Clone(args), models.SearchExactMatches), rankArg, rankArg)...).Scan(&ids).Error
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := store.DB().Raw("SELECT count(*) FROM authorities a WHERE "+where, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	// The second page lists the next matches in name order.
	var next []uuid.UUID
	err = store.DB().Raw("SELECT a.id FROM authorities a WHERE "+where+" ORDER BY a.official_name, a.id OFFSET ? LIMIT ?",
		append(slices.Clone(args), models.SearchExactMatches, models.SearchExactMatches)...).Scan(&next).Error
	if err != nil {
		t.Fatal(err)
	}
	return append(ids, next...), n
}

func TestSearch_EveryWayOfFindingMatchesFindsTheSame(t *testing.T) {
	ctx := context.Background()
	store, _ := seedDirectory(t, 1500)
	// One authority whose document is too large for the walk's index, so
	// that the walk meets one: a description in many languages.
	var big struct {
		ID   uuid.UUID
		Name string
	}
	if err := store.DB().Raw(`SELECT id, official_name AS name FROM authorities
		WHERE status = 'active' AND search_document @@ 'municipality:*' ORDER BY official_name OFFSET 30 LIMIT 1`).Scan(&big).Error; err != nil {
		t.Fatal(err)
	}
	var filler []string
	for i := range 600 {
		filler = append(filler, "beschreibung"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+string(rune('a'+i/26)))
	}
	err := store.DB().Exec(`UPDATE authorities SET search_document = to_tsvector('simple', ?) WHERE id = ?`,
		big.Name+" municipality medical chamber oversizedword "+strings.Join(filler, " "), big.ID).Error
	if err != nil {
		t.Fatal(err)
	}
	var fits bool
	if err := store.DB().Raw("SELECT search_document_fits FROM authorities WHERE id = ?", big.ID).Scan(&fits).Error; err != nil {
		t.Fatal(err)
	}
	if fits {
		t.Fatal("the large document fits the walk's index; the test wants one that does not")
	}
	if err := store.DB().Exec("VACUUM ANALYZE authorities").Error; err != nil {
		t.Fatal(err)
	}

	plans := []struct {
		name                    string
		collectBelow            int64
		collectLimit, walkFirst int
	}{
		{"as configured", 2000, 4000, 20_000},
		{"collect first", 1 << 40, 4000, 20_000},
		{"collect first, too many, walk", 1 << 40, 3, 20_000},
		{"walk first", -1, 4000, 20_000},
		{"short walk, then collect", -1, 4000, 50},
		{"short walk, collect too many, walk on", -1, 3, 50},
	}
	searches := []models.AuthoritySearch{{Words: "chamber", Area: "professional-qualifications", Competence: "doctor"},
		{Words: "medical", Area: "professional-qualifications"}}
	for _, words := range []string{"municipality", "medical chamber", "médecin", "archi", "Kraków", "oversizedword", "Lloret", "nosuchword"} {
		searches = append(searches, models.AuthoritySearch{Words: words})
	}
	for _, q := range searches {
		want, count := referenceWindow(t, store, q.Words, q.Area, q.Competence)
		t.Logf("%+v: %d matches", q, count)
		if q.Words == "oversizedword" && (count != 1 || want[0] != big.ID) {
			t.Fatalf("%q: %d matches, want the large document alone", q.Words, count)
		}
		for _, plan := range plans {
			models.SetSearchPlan(t, plan.collectBelow, plan.collectLimit, plan.walkFirst)
			var got []uuid.UUID
			var total int64
			for page := 1; page <= 2; page++ {
				q.Page, q.PageSize = page, models.SearchExactMatches
				found, n, err := store.SearchAuthorities(ctx, q)
				if err != nil {
					t.Fatalf("%+v, %s: %v", q, plan.name, err)
				}
				for _, a := range found {
					got = append(got, a.ID)
				}
				total = n
			}
			if !slices.Equal(got, want) {
				t.Errorf("%q in %q %q, %s: %d results, not the %d expected in their order", q.Words, q.Area, q.Competence, plan.name, len(got), len(want))
			}
			if count <= models.SearchExactMatches && total != count || count > models.SearchExactMatches && total <= models.SearchExactMatches {
				t.Errorf("%q in %q %q, %s: total %d for %d matches", q.Words, q.Area, q.Competence, plan.name, total, count)
			}
		}
	}
}

func TestSearch_CompetencesFollowTheirAreas(t *testing.T) {
	ctx := context.Background()
	store, _ := seedDirectory(t, 200)
	// An authority whose own words say nothing of architects.
	var ids []uuid.UUID
	err := store.DB().Raw(`SELECT id FROM authorities WHERE status = 'active' AND NOT search_document @@ 'architekt:*'
		ORDER BY official_name LIMIT 1`).Scan(&ids).Error
	if err != nil || len(ids) == 0 {
		t.Fatal(ids, err)
	}
	id := ids[0]
	finds := func(words string) bool {
		t.Helper()
		found, _, err := store.SearchAuthorities(ctx, models.AuthoritySearch{Words: words, Page: 1, PageSize: 10_000})
		if err != nil {
			t.Fatal(err)
		}
		return slices.ContainsFunc(found, func(a models.Authority) bool { return a.ID == id })
	}
	if err := store.DB().Exec("DELETE FROM authority_areas WHERE authority_id = ?", id).Error; err != nil {
		t.Fatal(err)
	}
	var codes string
	if err := store.DB().Raw("SELECT competence_codes::text FROM authorities WHERE id = ?", id).Scan(&codes).Error; err != nil {
		t.Fatal(err)
	}
	if codes != "{}" {
		t.Fatalf("without areas, competences %s", codes)
	}
	// Architects are known by their label's words, in any language.
	if finds("Architekt") {
		t.Fatal("found as an architect before holding the competence")
	}
	err = store.DB().Exec("INSERT INTO authority_areas (authority_id, area_code, competences) VALUES (?, 'professional-qualifications', '{architect}')", id).Error
	if err != nil {
		t.Fatal(err)
	}
	if !finds("Architekt") {
		t.Error("not found as an architect after an area granted it")
	}
	err = store.DB().Exec("UPDATE authority_areas SET competences = '{doctor}' WHERE authority_id = ?", id).Error
	if err != nil {
		t.Fatal(err)
	}
	if finds("Architekt") {
		t.Error("still found as an architect after the area changed")
	}
}
