package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
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
	// Think is the mean pause of an official before each action, as people
	// read and type between clicks. Zero runs the actions back to back:
	// the most the machine holds, every action queueing behind the others.
	Think time.Duration
}

// The bounds of any run, so that no typo loads the machine for hours.
const (
	MaxConcurrency = 500
	MaxDuration    = 30 * time.Minute
	MaxCount       = 1_000_000
	MaxThink       = time.Minute
	// drainGrace is how long lifecycles under way at the end of a run get
	// to finish before they are cut off, besides their officials' pauses.
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
	case l.Think < 0 || l.Think > MaxThink:
		return fmt.Errorf("load: think time must be between 0 and %s, not %s", MaxThink, l.Think)
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

// Turn is one lifecycle of one virtual official.
type Turn struct {
	// Official numbers the virtual official, from 0.
	Official int
	// Seq numbers the lifecycle within the run, from 1.
	Seq   int
	think time.Duration
	rng   *rand.Rand
}

// Think pauses before an action for a time drawn evenly between none and
// twice the run's think time. Drawn rather than fixed, so that officials
// who started together drift apart instead of acting in step.
func (t Turn) Think(ctx context.Context) error {
	if t.think <= 0 {
		return nil
	}
	return sleep(ctx, t.pause())
}

func (t Turn) pause() time.Duration { return time.Duration(t.rng.Int64N(int64(2 * t.think))) }

// drive runs lifecycle with Concurrency virtual officials until Duration
// has passed or Count lifecycles have started. It logs the first failures
// and then only counts them.
func drive(ctx context.Context, log *slog.Logger, l Limits, lifecycle func(ctx context.Context, turn Turn) error) (Throughput, error) {
	if err := l.Check(); err != nil {
		return Throughput{}, err
	}
	// The hard stop: lifecycles under way when the run ends get a grace
	// to finish, and no more.
	// Five pauses a lifecycle, each at most twice the think time.
	ctx, cancel := context.WithTimeout(ctx, l.Duration+drainGrace+10*l.Think)
	defer cancel()
	stopStarting := time.Now().Add(l.Duration)
	var started, completed, failed, logged atomic.Int64
	begin := time.Now()
	var wg sync.WaitGroup
	for official := range l.Concurrency {
		wg.Go(func() {
			// Seeded by the official, so that two runs pause alike.
			rng := rand.New(rand.NewPCG(uint64(official), 0))
			for ctx.Err() == nil && time.Now().Before(stopStarting) {
				seq := int(started.Add(1))
				if seq > l.Count {
					return
				}
				if err := lifecycle(ctx, Turn{Official: official, Seq: seq, think: l.Think, rng: rng}); err != nil {
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
	Think       time.Duration
	Throughput
	Latencies []Latency
	Failures  []Failure
}

// Write prints the report for a terminal and for BENCHMARKS.md alike.
func (r Report) Write(w io.Writer) error {
	pace := "back to back"
	if r.Think > 0 {
		pace = fmt.Sprintf("thinking %s on average before each action", r.Think)
	}
	fmt.Fprintf(w, "%s: %d virtual officials, %s, %d lifecycles completed, %d failed, in %s: %.1f lifecycles/s\n",
		r.Scenario, r.Concurrency, pace, r.Completed, r.Failed, r.Elapsed.Round(time.Millisecond), r.PerSecond())
	if err := writeLatencies(w, "action", r.Latencies); err != nil {
		return err
	}
	writeFailures(w, r.Failures)
	return nil
}
