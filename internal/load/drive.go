package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Limits bound a run; whichever is reached first ends it.
type Limits struct {
	// Concurrency is the number of virtual officials acting at once.
	Concurrency int
	// Duration is how long new lifecycles are started.
	Duration time.Duration
	// Count is how many lifecycles are started at most.
	Count int
}

// The bounds of any run, so that no typo loads the machine for hours.
const (
	MaxConcurrency = 500
	MaxDuration    = 30 * time.Minute
	MaxCount       = 1_000_000
	// drainGrace is how long lifecycles under way at the end of a run get
	// to finish before they are cut off.
	drainGrace = 60 * time.Second
)

// Check refuses limits outside the bounds.
func (l Limits) Check() error {
	switch {
	case l.Concurrency < 1 || l.Concurrency > MaxConcurrency:
		return fmt.Errorf("load: concurrency must be between 1 and %d, not %d", MaxConcurrency, l.Concurrency)
	case l.Duration <= 0 || l.Duration > MaxDuration:
		return fmt.Errorf("load: duration must be positive and at most %s, not %s", MaxDuration, l.Duration)
	case l.Count < 1 || l.Count > MaxCount:
		return fmt.Errorf("load: count must be between 1 and %d, not %d", MaxCount, l.Count)
	}
	return nil
}

// Throughput is how many lifecycles a run completed, and how fast.
type Throughput struct {
	Completed int
	Failed    int
	// Elapsed runs from the start of the first lifecycle to the end of the
	// last.
	Elapsed time.Duration
}

// PerSecond is the rate of completed lifecycles.
func (t Throughput) PerSecond() float64 {
	if t.Elapsed <= 0 {
		return 0
	}
	return float64(t.Completed) / t.Elapsed.Seconds()
}

// drive runs lifecycle with Concurrency virtual officials until Duration
// has passed or Count lifecycles have started; a lifecycle gets the number
// of its official and its own sequence number. It logs the first failures
// and then only counts them.
func drive(ctx context.Context, log *slog.Logger, l Limits, lifecycle func(ctx context.Context, official, seq int) error) (Throughput, error) {
	if err := l.Check(); err != nil {
		return Throughput{}, err
	}
	// The hard stop: lifecycles under way when the run ends get a grace
	// to finish, and no more.
	ctx, cancel := context.WithTimeout(ctx, l.Duration+drainGrace)
	defer cancel()
	stopStarting := time.Now().Add(l.Duration)
	var started, completed, failed, logged atomic.Int64
	begin := time.Now()
	var wg sync.WaitGroup
	for official := range l.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(stopStarting) {
				seq := int(started.Add(1))
				if seq > l.Count {
					return
				}
				if err := lifecycle(ctx, official, seq); err != nil {
					if ctx.Err() != nil {
						return
					}
					failed.Add(1)
					if logged.Add(1) <= 5 {
						log.Warn("lifecycle failed", "official", official, "err", err)
					}
					continue
				}
				completed.Add(1)
			}
		})
	}
	wg.Wait()
	t := Throughput{Completed: int(completed.Load()), Failed: int(failed.Load()), Elapsed: time.Since(begin)}
	if t.Completed == 0 && t.Failed > 0 {
		return t, errors.New("load: every lifecycle failed; see the log")
	}
	return t, nil
}

// Report is what a lifecycle-like run measured.
type Report struct {
	Scenario    string
	Concurrency int
	Throughput
	Latencies []Latency
	Failures  []Failure
}

// Write prints the report for a terminal and for BENCHMARKS.md alike.
func (r Report) Write(w io.Writer) error {
	fmt.Fprintf(w, "%s: %d virtual officials, %d lifecycles completed, %d failed, in %s: %.1f lifecycles/s\n",
		r.Scenario, r.Concurrency, r.Completed, r.Failed, r.Elapsed.Round(time.Millisecond), r.PerSecond())
	if err := writeLatencies(w, "action", r.Latencies); err != nil {
		return err
	}
	writeFailures(w, r.Failures)
	return nil
}
