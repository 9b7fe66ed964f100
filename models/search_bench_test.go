package models_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/demo"
	"github.com/openimi/openimi/system/testenv"
)

// benchAuthorities is the size of the directory the search benchmark runs
// against: twenty times the network of 2010.
const benchAuthorities = 100_000

// benchQueries is a realistic mix of directory searches: what officials
// type (a common word, a rare one, two words, an accented one, a prefix),
// what they filter by, and how deep they page.
var benchQueries = []struct {
	name string
	q    models.AuthoritySearch
}{
	{"common-word", models.AuthoritySearch{Words: "municipality"}},
	{"common-word-deep-page", models.AuthoritySearch{Words: "municipality", Page: 50}},
	{"rare-word", models.AuthoritySearch{Words: "Vistalegre"}},
	{"two-words", models.AuthoritySearch{Words: "medical chamber"}},
	{"accented-word", models.AuthoritySearch{Words: "médecin"}},
	{"accented-local-name", models.AuthoritySearch{Words: "Kraków"}},
	{"prefix", models.AuthoritySearch{Words: "archi"}},
	{"word-and-country", models.AuthoritySearch{Words: "Ärztekammer", Country: "DE"}},
	{"word-area-competence", models.AuthoritySearch{Words: "chamber", Area: demo.ProfessionalQualifications, Competence: "architect"}},
	{"country-only", models.AuthoritySearch{Country: "FR"}},
	{"country-only-deep-page", models.AuthoritySearch{Country: "FR", Page: 50}},
	{"area-competence", models.AuthoritySearch{Area: demo.ProfessionalQualifications, Competence: "doctor"}},
	{"level-and-region", models.AuthoritySearch{Level: models.Regional, Region: "Bayern"}},
	{"browse-all", models.AuthoritySearch{}},
}

// benchDeepest are the deepest pages the API allows (10,000 results at 20
// a page), measured apart from the mix: their cost grows with their depth.
var benchDeepest = []struct {
	name string
	q    models.AuthoritySearch
}{
	{"deepest-page-common-word", models.AuthoritySearch{Words: "municipality", Page: 400}},
	{"deepest-page-country", models.AuthoritySearch{Country: "FR", Page: 400}},
}

// BenchmarkSearchAuthorities measures directory search over 100,000
// authorities, per query and for the mix, in latency percentiles:
//
//	go test ./models -run '^$' -bench SearchAuthorities -benchtime 200x
func BenchmarkSearchAuthorities(b *testing.B) {
	ctx := context.Background()
	store := models.NewStore(testenv.Database(b))
	started := time.Now()
	dir, err := demo.Generate(benchAuthorities, demo.CatalogCompetences(mustCatalog(b)))
	if err != nil {
		b.Fatal(err)
	}
	if err := store.BulkCreateDirectory(ctx, dir.Batch("")); err != nil {
		b.Fatal(err)
	}
	// As autovacuum would soon after a load: plans need statistics, and
	// index-only scans a visibility map.
	for _, table := range []string{"authorities", "authority_areas"} {
		if err := store.DB().Exec("VACUUM ANALYZE " + table).Error; err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded %d authorities in %s", benchAuthorities, time.Since(started).Round(time.Millisecond))

	search := func(b *testing.B, q models.AuthoritySearch) {
		if q.Page == 0 {
			q.Page = 1
		}
		q.PageSize = 20
		if _, _, err := store.SearchAuthorities(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	for _, bq := range append(slices.Clone(benchQueries), benchDeepest...) {
		b.Run(bq.name, func(b *testing.B) {
			var latencies []time.Duration
			for b.Loop() {
				t0 := time.Now()
				search(b, bq.q)
				latencies = append(latencies, time.Since(t0))
			}
			reportPercentiles(b, latencies)
		})
	}
	b.Run("mix", func(b *testing.B) {
		var latencies []time.Duration
		i := 0
		for b.Loop() {
			t0 := time.Now()
			search(b, benchQueries[i%len(benchQueries)].q)
			latencies = append(latencies, time.Since(t0))
			i++
		}
		reportPercentiles(b, latencies)
	})
}

// reportPercentiles adds p50, p95 and p99 in milliseconds to the
// benchmark's line.
func reportPercentiles(b *testing.B, latencies []time.Duration) {
	b.Helper()
	if len(latencies) == 0 {
		return
	}
	slices.Sort(latencies)
	at := func(p float64) float64 {
		i := min(int(p*float64(len(latencies))), len(latencies)-1)
		return float64(latencies[i].Microseconds()) / 1000
	}
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(at(0.99), "p99-ms")
}

func mustCatalog(b *testing.B) *catalog.Catalog {
	b.Helper()
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	return cat
}
