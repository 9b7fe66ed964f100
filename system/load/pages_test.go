package load_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/system/demo"
	"github.com/openimi/openimi/system/load"
	"github.com/openimi/openimi/system/systemtest"
	"github.com/openimi/openimi/system/testenv"
)

// TestLoad_ShortPagesRunSignsInThroughTheFormAndTimesBothPages keeps the
// pages scenario working: officials sign in through the sign-in page (over
// the https PUBLIC_URL's __Host- cookies), open their incoming box and a
// request it lists, and both pages are timed by client and server.
func TestLoad_ShortPagesRunSignsInThroughTheFormAndTimesBothPages(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := demo.Seed(ctx, sys.Store, demo.CatalogCompetences(sys.App.Catalog), 120); err != nil {
		t.Fatalf("seed: %v", err)
	}
	limits := load.Limits{Concurrency: 3, Duration: 20 * time.Second, Count: 6}
	report, err := load.Pages(ctx, load.PagesOptions{BaseURL: sys.URL, Limits: limits, Countries: 3, PerOfficial: 2, Log: testenv.Logger(t)})
	if err != nil {
		t.Fatalf("pages: %v", err)
	}
	if report.Completed != limits.Count || report.Failed != 0 || len(report.Failures) != 0 {
		t.Errorf("%d rounds completed, %d failed, failures %v; want %d, 0, none", report.Completed, report.Failed, report.Failures, limits.Count)
	}
	if report.Officials != 3 || report.Requests != 6 {
		t.Errorf("%d handlers, %d requests created; want 3 and 6", report.Officials, report.Requests)
	}
	for name, ls := range map[string][]load.Latency{"client": report.Client, "server": report.Server} {
		if len(ls) != 2 {
			t.Fatalf("%s measured %+v, want the incoming box and the request page", name, ls)
		}
		for i, want := range []string{"incoming-box", "request-page"} {
			if l := ls[i]; l.Action != want || l.Count != limits.Count || l.P50 <= 0 || l.P99 < l.P50 {
				t.Errorf("%s: %+v, want %s with %d loads and ordered percentiles", name, l, want, limits.Count)
			}
		}
	}
	for i := range report.Server {
		// The server's time is within the client's: the same loads, less
		// the network and the client.
		if s, c := report.Server[i], report.Client[i]; s.Max > c.Max {
			t.Errorf("%s: server max %s beyond the client's %s", s.Action, s.Max, c.Max)
		}
	}
	var out bytes.Buffer
	if err := report.Write(&out); err != nil {
		t.Fatal(err)
	}
	t.Logf("report:\n%s", out.String())
	for _, want := range []string{"6 rounds (incoming box + request page) completed, 0 failed", "goal incoming-box: server p95", "goal request-page: server p95", "errors: none"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}
}
