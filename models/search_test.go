package models_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
)

func exactCount(t *testing.T, store *models.Store, words string) int64 {
	t.Helper()
	var n int64
	err := store.DB().Raw(`SELECT count(*) FROM authorities
		WHERE status = 'active' AND search_document @@ to_tsquery('simple', unaccent(?))`, words).Scan(&n).Error
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSearch_TotalsAreExactUpToTheWindowAndEstimatedBeyond(t *testing.T) {
	ctx := context.Background()
	store, _ := seedDirectory(t, 1500)
	if err := store.DB().Exec("ANALYZE authorities").Error; err != nil {
		t.Fatal(err)
	}
	narrow, broad := "Ärztekammer", "municipality"
	if n := exactCount(t, store, "arztekammer:*"); n == 0 || n > models.SearchExactMatches {
		t.Fatalf("%d matches for %q; the test wants a few", n, narrow)
	}
	if n := exactCount(t, store, "municipality:*"); n <= models.SearchExactMatches {
		t.Fatalf("%d matches for %q; the test wants more than %d", n, broad, models.SearchExactMatches)
	}
	_, total, err := store.SearchAuthorities(ctx, models.AuthoritySearch{Words: narrow, Page: 1, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if want := exactCount(t, store, "arztekammer:*"); total != want {
		t.Errorf("%q: total %d, want exactly %d", narrow, total, want)
	}
	_, total, err = store.SearchAuthorities(ctx, models.AuthoritySearch{Words: broad, Page: 1, PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	if total <= models.SearchExactMatches {
		t.Errorf("%q: total %d, want an estimate above %d", broad, total, models.SearchExactMatches)
	}
}

func TestSearch_PagesOfABroadSearchNeitherRepeatNorSkip(t *testing.T) {
	ctx := context.Background()
	store, _ := seedDirectory(t, 1000)
	want := exactCount(t, store, "municipality:*")
	seen := map[uuid.UUID]bool{}
	// 30 a page: pages straddle the end of the ranked window.
	for page := 1; ; page++ {
		found, _, err := store.SearchAuthorities(ctx, models.AuthoritySearch{Words: "Municipality", Page: page, PageSize: 30})
		if err != nil {
			t.Fatal(err)
		}
		if len(found) == 0 {
			break
		}
		for _, a := range found {
			if seen[a.ID] {
				t.Fatalf("page %d repeats %q", page, a.OfficialName)
			}
			seen[a.ID] = true
		}
	}
	if int64(len(seen)) != want {
		t.Errorf("paging through found %d authorities, want all %d matches", len(seen), want)
	}
}

func TestSearch_FiltersWithoutWordsListByName(t *testing.T) {
	ctx := context.Background()
	store, _ := seedDirectory(t, 600)
	found, total, err := store.SearchAuthorities(ctx, models.AuthoritySearch{Country: "PL", Page: 1, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	if err := store.DB().Raw("SELECT count(*) FROM authorities WHERE country_code = 'PL' AND status = 'active'").Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	if total != n || int64(len(found)) != min(n, 100) {
		t.Fatalf("PL: %d found, total %d; want %d", len(found), total, n)
	}
	// Name order as the database collates it.
	var inOrder []uuid.UUID
	err = store.DB().Raw("SELECT id FROM authorities WHERE country_code = 'PL' AND status = 'active' ORDER BY official_name, id LIMIT 100").
		Scan(&inOrder).Error
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range found {
		if a.ID != inOrder[i] {
			t.Fatalf("result %d is %q, not the next in name order", i, a.OfficialName)
		}
	}
	found, _, err = store.SearchAuthorities(ctx, models.AuthoritySearch{Level: models.Regional, Region: "BAYERN", Page: 1, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range found {
		if a.Region != "Bayern" || a.Level != models.Regional {
			t.Errorf("region filter found %q in %q (%s)", a.OfficialName, a.Region, a.Level)
		}
	}
}

func TestSearch_NamesOnlyFindsTheSameAuthoritiesWithoutReadingTheirAreas(t *testing.T) {
	ctx := context.Background()
	store, _ := seedDirectory(t, 300)
	q := models.AuthoritySearch{Country: "DE", Page: 1, PageSize: 50}
	full, total, err := store.SearchAuthorities(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	q.NamesOnly = true
	names, namesTotal, err := store.SearchAuthorities(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if len(full) == 0 || len(names) != len(full) || namesTotal != total {
		t.Fatalf("names only: %d of %d, full: %d of %d", len(names), namesTotal, len(full), total)
	}
	withAreas := 0
	for i := range full {
		if names[i].ID != full[i].ID || names[i].OfficialName != full[i].OfficialName || names[i].Region != full[i].Region {
			t.Fatalf("result %d differs: %q / %q", i, names[i].OfficialName, full[i].OfficialName)
		}
		if len(names[i].Areas) != 0 {
			t.Fatalf("names only read %q's areas", names[i].OfficialName)
		}
		withAreas += min(len(full[i].Areas), 1)
	}
	if withAreas == 0 {
		t.Fatal("the full search read no areas either: the test proves nothing")
	}
}

// A letter Go knows and PostgreSQL's parser does not (U+31350, Unicode 15)
// makes a term with no word in it: the search finds nothing, as a word
// nobody uses would, instead of failing on an empty tsquery.
func TestSearch_AWordThePostgreSQLParserCannotReadMatchesNothing(t *testing.T) {
	ctx := context.Background()
	store, _ := seedDirectory(t, 50)
	for _, words := range []string{"\U00031350", "municipality \U00031350"} {
		found, total, err := store.SearchAuthorities(ctx, models.AuthoritySearch{Words: words, Page: 1, PageSize: 10})
		if err != nil {
			t.Fatalf("%q: %v", words, err)
		}
		if len(found) != 0 || total != 0 {
			t.Errorf("%q: %d found, total %d; want none", words, len(found), total)
		}
	}
	found, _, err := store.SearchAuthorities(ctx, models.AuthoritySearch{Words: "municipality", Page: 1, PageSize: 10})
	if err != nil || len(found) == 0 {
		t.Fatalf("municipality alone: %d found, %v; the directory should have some", len(found), err)
	}
}
