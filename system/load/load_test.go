package load_test

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/system/demo"
	"github.com/openimi/openimi/system/load"
	"github.com/openimi/openimi/system/systemtest"
	"github.com/openimi/openimi/system/testenv"
)

// TestLoad_ShortLifecycleAndFloorRunsCompleteWithoutErrors keeps the load
// tool working: a few lifecycles against a whole system, then the same on
// the bare workflow, each bounded to seconds.
func TestLoad_ShortLifecycleAndFloorRunsCompleteWithoutErrors(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := demo.Seed(ctx, sys.Store, demo.CatalogCompetences(sys.App.Catalog), 120); err != nil {
		t.Fatalf("seed: %v", err)
	}
	log := testenv.Logger(t)
	limits := load.Limits{Concurrency: 3, Duration: 20 * time.Second, Count: 6, Think: 5 * time.Millisecond}

	lifecycle, err := load.Lifecycle(ctx, load.LifecycleOptions{BaseURL: sys.URL, Limits: limits, Countries: 4, Log: log})
	if err != nil {
		t.Fatalf("lifecycle: %v", err)
	}
	if lifecycle.Completed != limits.Count || lifecycle.Failed != 0 || len(lifecycle.Failures) != 0 {
		t.Errorf("lifecycle: %d completed, %d failed, failures %v; want %d, 0, none", lifecycle.Completed, lifecycle.Failed, lifecycle.Failures, limits.Count)
	}
	wantActions(t, lifecycle, "draft", "send", "accept", "answer", "close")

	floor, err := load.Floor(ctx, load.FloorOptions{TemporalAddress: testenv.TemporalAddress(t), Namespace: "default", Limits: limits, Log: log})
	if err != nil {
		t.Fatalf("floor: %v", err)
	}
	if floor.Completed != limits.Count || floor.Failed != 0 {
		t.Errorf("floor: %d completed, %d failed; want %d, 0", floor.Completed, floor.Failed, limits.Count)
	}
	wantActions(t, floor, "send", "accept", "answer", "close")

	search, err := load.Search(ctx, load.SearchOptions{BaseURL: sys.URL, Iterations: 1, Concurrency: 2, Duration: 20 * time.Second, Log: log})
	if err != nil {
		t.Fatalf("search: %v", err)
	}
	if len(search.Failures) != 0 || search.Mix.Count == 0 || len(search.Latencies) != 16 {
		t.Errorf("search: %d queries measured, mix of %d, failures %v", len(search.Latencies), search.Mix.Count, search.Failures)
	}

	var out bytes.Buffer
	if err := lifecycle.Write(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "lifecycles/s") || !strings.Contains(out.String(), "thinking 5ms on average") || !strings.Contains(out.String(), "errors: none") {
		t.Errorf("report:\n%s", out.String())
	}
}

func wantActions(t *testing.T, r load.Report, actions ...string) {
	t.Helper()
	if len(r.Latencies) != len(actions) {
		t.Fatalf("%s measured %v, want %v", r.Scenario, r.Latencies, actions)
	}
	for i, l := range r.Latencies {
		if l.Action != actions[i] || l.Count != r.Completed || l.P50 <= 0 || l.P99 < l.P50 {
			t.Errorf("%s: %+v, want %s with %d calls and ordered percentiles", r.Scenario, l, actions[i], r.Completed)
		}
	}
}

func TestLoad_RefusesAddressesOffThisMachine(t *testing.T) {
	for _, addr := range []string{"http://imi.example.eu", "http://10.0.0.1:8080", "temporal.internal:7233"} {
		if err := load.CheckLoopback(addr); err == nil {
			t.Errorf("%s accepted", addr)
		}
	}
	for _, addr := range []string{"http://127.0.0.1:8080", "http://localhost:8080", "127.0.0.1:7233", "http://[::1]:80"} {
		if err := load.CheckLoopback(addr); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
	_, err := load.Lifecycle(context.Background(), load.LifecycleOptions{BaseURL: "http://127.0.0.1:1",
		Limits: load.Limits{Concurrency: 1, Duration: time.Hour, Count: 1}, Log: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "duration") {
		t.Errorf("an hour's run: %v, want refused for its duration", err)
	}
}

func TestRSS_OfThisProcessIsSomeMegabytes(t *testing.T) {
	n, err := load.RSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if n < 1<<20 || n > 8<<30 {
		t.Errorf("resident memory %d bytes", n)
	}
	if pid, err := load.TemporalServerPID("127.0.0.1:1"); err != nil || pid != 0 {
		t.Errorf("a Temporal server on port 1: pid %d, %v", pid, err)
	}
}

func TestPercentile_IsTheNearestRank(t *testing.T) {
	var s []time.Duration
	for i := 1; i <= 100; i++ {
		s = append(s, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{50: 50 * time.Millisecond, 95: 95 * time.Millisecond, 99: 99 * time.Millisecond, 100: 100 * time.Millisecond} {
		if got := load.Percentile(s, p); got != want {
			t.Errorf("p%v = %s, want %s", p, got, want)
		}
	}
	if got := load.Percentile(s[:1], 99); got != time.Millisecond {
		t.Errorf("p99 of one sample = %s", got)
	}
}
