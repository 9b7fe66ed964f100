package load

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// searchQuery is one kind of directory search an official makes.
type searchQuery struct {
	name   string
	params url.Values
	// inMix is false for the deepest pages, reported apart as the
	// directory benchmark does.
	inMix bool
}

// searchQueries are the queries of models' BenchmarkSearchAuthorities, over
// HTTP, so that the two sets of figures can be read side by side.
func searchQueries() []searchQuery {
	q := func(name string, inMix bool, kv ...string) searchQuery {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return searchQuery{name: name, params: v, inMix: inMix}
	}
	return []searchQuery{
		q("common-word", true, "q", "municipality"),
		q("common-word-deep-page", true, "q", "municipality", "page", "50"),
		q("rare-word", true, "q", "Vistalegre"),
		q("two-words", true, "q", "medical chamber"),
		q("accented-word", true, "q", "médecin"),
		q("accented-local-name", true, "q", "Kraków"),
		q("prefix", true, "q", "archi"),
		q("word-and-country", true, "q", "Ärztekammer", "country", "DE"),
		q("word-area-competence", true, "q", "chamber", "area", "professional-qualifications", "competence", "architect"),
		q("country-only", true, "country", "FR"),
		q("country-only-deep-page", true, "country", "FR", "page", "50"),
		q("area-competence", true, "area", "professional-qualifications", "competence", "doctor"),
		q("level-and-region", true, "level", "regional", "region", "Bayern"),
		q("browse-all", true),
		q("deepest-page-common-word", false, "q", "municipality", "page", "400"),
		q("deepest-page-country", false, "country", "FR", "page", "400"),
	}
}

// SearchOptions shape a search run.
type SearchOptions struct {
	BaseURL string
	// Iterations is how many times each query is made.
	Iterations int
	// Concurrency is how many officials search at once.
	Concurrency int
	// Duration bounds the run.
	Duration time.Duration
	Log      *slog.Logger
}

// SearchReport is what a search run measured, per query and for the mix.
type SearchReport struct {
	Concurrency int
	Elapsed     time.Duration
	Latencies   []Latency
	Mix         Latency
	Failures    []Failure
}

// Search makes each query Iterations times, round after round, as a demo
// handler, through GET /api/v1/authorities.
func Search(ctx context.Context, opts SearchOptions) (SearchReport, error) {
	if opts.Iterations < 1 || opts.Iterations > 100_000 {
		return SearchReport{}, fmt.Errorf("load: iterations must be between 1 and 100000, not %d", opts.Iterations)
	}
	limits := Limits{Concurrency: opts.Concurrency, Duration: opts.Duration, Count: 1}
	if err := limits.Check(); err != nil {
		return SearchReport{}, err
	}
	rec := NewRecorder()
	api, err := NewAPI(opts.BaseURL, opts.Concurrency, rec)
	if err != nil {
		return SearchReport{}, err
	}
	defer api.Close()
	if err := api.WaitReady(ctx, 60*time.Second); err != nil {
		return SearchReport{}, err
	}
	officials, err := SignInDemoHandlers(ctx, api, 2)
	if err != nil {
		return SearchReport{}, err
	}
	token := officials[0].Token
	queries := searchQueries()
	rec = NewRecorder()
	api.rec = rec
	ctx, cancel := context.WithTimeout(ctx, opts.Duration)
	defer cancel()
	jobs := make(chan searchQuery)
	var wg sync.WaitGroup
	for range opts.Concurrency {
		wg.Go(func() {
			for q := range jobs {
				// A failed search is counted by status; the run goes on.
				_ = api.Call(ctx, q.name, http.MethodGet, "/api/v1/authorities?"+q.params.Encode(), token, nil, http.StatusOK, nil)
			}
		})
	}
	began := time.Now()
feed:
	for range opts.Iterations {
		for _, q := range queries {
			select {
			case jobs <- q:
			case <-ctx.Done():
				break feed
			}
		}
	}
	close(jobs)
	wg.Wait()
	names := make([]string, 0, len(queries))
	var mix []string
	for _, q := range queries {
		names = append(names, q.name)
		if q.inMix {
			mix = append(mix, q.name)
		}
	}
	return SearchReport{
		Concurrency: opts.Concurrency, Elapsed: time.Since(began),
		Latencies: rec.Latencies(names...), Mix: rec.Combined("mix", mix),
		Failures: rec.Failures(func(_ string, status int) bool { return status == http.StatusOK }),
	}, nil
}

// Write prints the report.
func (r SearchReport) Write(w io.Writer) error {
	fmt.Fprintf(w, "search: %d official(s) searching at once, %s\n", r.Concurrency, r.Elapsed.Round(time.Millisecond))
	if err := writeLatencies(w, "query", append(r.Latencies, r.Mix)); err != nil {
		return err
	}
	writeFailures(w, r.Failures)
	return nil
}
