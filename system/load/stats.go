package load

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Recorder collects the latency and outcome of every call of a run, by
// action. It is safe for concurrent use.
type Recorder struct {
	mu        sync.Mutex
	latencies map[string][]time.Duration
	// outcomes counts answers by action and status; a transport error
	// (no answer at all) is status 0.
	outcomes map[string]map[int]int
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{latencies: map[string][]time.Duration{}, outcomes: map[string]map[int]int{}}
}

// Observe records one call: its latency counts only when it succeeded, so
// that fast refusals do not flatter the percentiles.
func (r *Recorder) Observe(action string, status int, took time.Duration, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if ok {
		r.latencies[action] = append(r.latencies[action], took)
	}
	if r.outcomes[action] == nil {
		r.outcomes[action] = map[int]int{}
	}
	r.outcomes[action][status]++
}

// Latency is the distribution of one action's successful calls.
type Latency struct {
	Action        string
	Count         int
	P50, P95, P99 time.Duration
	Max           time.Duration
}

// Failure counts the unsuccessful answers of one action with one status;
// status 0 means no answer (connection refused, timeout).
type Failure struct {
	Action string
	Status int
	Count  int
}

// Latencies summarises every action, in the order given first and then by
// name.
func (r *Recorder) Latencies(order ...string) []Latency {
	r.mu.Lock()
	defer r.mu.Unlock()
	names := make([]string, 0, len(r.latencies))
	for name := range r.latencies {
		names = append(names, name)
	}
	sortByOrder(names, order)
	out := make([]Latency, 0, len(names))
	for _, name := range names {
		out = append(out, summarise(name, r.latencies[name]))
	}
	return out
}

// Failures lists the unsuccessful answers by action and status.
func (r *Recorder) Failures(success func(action string, status int) bool) []Failure {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Failure
	for action, byStatus := range r.outcomes {
		for status, n := range byStatus {
			if !success(action, status) {
				out = append(out, Failure{Action: action, Status: status, Count: n})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Action != out[j].Action {
			return out[i].Action < out[j].Action
		}
		return out[i].Status < out[j].Status
	})
	return out
}

func sortByOrder(names, order []string) {
	rank := func(name string) int {
		if i := slices.Index(order, name); i >= 0 {
			return i
		}
		return len(order)
	}
	sort.Slice(names, func(i, j int) bool {
		ri, rj := rank(names[i]), rank(names[j])
		if ri != rj {
			return ri < rj
		}
		return names[i] < names[j]
	})
}

func summarise(action string, samples []time.Duration) Latency {
	s := slices.Clone(samples)
	slices.Sort(s)
	l := Latency{Action: action, Count: len(s)}
	if len(s) == 0 {
		return l
	}
	l.P50, l.P95, l.P99, l.Max = Percentile(s, 50), Percentile(s, 95), Percentile(s, 99), s[len(s)-1]
	return l
}

// Percentile is the nearest-rank percentile of sorted samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(p/100*float64(len(sorted))+0.999999) - 1
	return sorted[max(0, min(rank, len(sorted)-1))]
}

// ms prints a duration in milliseconds with one decimal, as BENCHMARKS.md
// does.
func ms(d time.Duration) string { return fmt.Sprintf("%.1f", float64(d)/float64(time.Millisecond)) }

func writeLatencies(w io.Writer, title string, ls []Latency) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\tcalls\tp50 ms\tp95 ms\tp99 ms\tmax ms\t\n", title)
	for _, l := range ls {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t\n", l.Action, l.Count, ms(l.P50), ms(l.P95), ms(l.P99), ms(l.Max))
	}
	return tw.Flush()
}

func writeFailures(w io.Writer, fs []Failure) {
	if len(fs) == 0 {
		fmt.Fprintln(w, "errors: none")
		return
	}
	parts := make([]string, 0, len(fs))
	for _, f := range fs {
		status := fmt.Sprint(f.Status)
		if f.Status == 0 {
			status = "no answer"
		}
		parts = append(parts, fmt.Sprintf("%s %s ×%d", f.Action, status, f.Count))
	}
	fmt.Fprintln(w, "errors:", strings.Join(parts, ", "))
}

// Combined summarises the successful calls of the given actions together,
// under the name given.
func (r *Recorder) Combined(name string, actions []string) Latency {
	r.mu.Lock()
	defer r.mu.Unlock()
	var all []time.Duration
	for _, a := range actions {
		all = append(all, r.latencies[a]...)
	}
	return summarise(name, all)
}
