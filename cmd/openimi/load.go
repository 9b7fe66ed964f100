package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/openimi/openimi/system"
	"github.com/openimi/openimi/system/load"
)

func loadCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "load SCENARIO",
		Short: "Drive a running OpenIMI on this machine like officials would, and measure it",
		Long: `Drive a running OpenIMI over its HTTP API and print what it measured. Only
addresses on this machine are accepted; every run is bounded in count and time
and stops by itself. The lifecycle, floor, timers and pages scenarios need the demo
data (openimi seed --demo); search wants the large directory
(openimi seed --demo --authorities 100000). TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
DATABASE_URL and OPENIMI_DAY are read as the API and worker read them.
Figures and command lines: docs/BENCHMARKS.md.`,
	}
	cmd.AddCommand(loadLifecycleCommand(), loadFloorCommand(), loadSearchCommand(), loadTimersCommand(), loadPagesCommand())
	return cmd
}

// loadFlags are the flags every lifecycle-like scenario shares.
type loadFlags struct {
	url       string
	limits    load.Limits
	countries int
}

func (f *loadFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&f.url, "url", "http://127.0.0.1:8080", "the API's base URL (loopback only)")
	cmd.Flags().IntVar(&f.limits.Concurrency, "concurrency", 20, "virtual officials acting at once")
	cmd.Flags().DurationVar(&f.limits.Duration, "duration", 60*time.Second, "how long to start new lifecycles")
	cmd.Flags().IntVar(&f.limits.Count, "count", load.MaxCount, "how many lifecycles to start at most")
	cmd.Flags().IntVar(&f.countries, "countries", 30, "how many countries' demo handlers take part")
	cmd.Flags().DurationVar(&f.limits.Think, "think", 0, "an official's mean pause before each action (0: back to back, the most the machine holds)")
}

func loadLifecycleCommand() *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "lifecycle",
		Short: "Run complete requests (draft, send, accept, answer, close) between demo handlers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, log, err := system.LoadConfig()
			if err != nil {
				return err
			}
			report, err := load.Lifecycle(cmd.Context(), load.LifecycleOptions{
				BaseURL: f.url, Limits: f.limits, Countries: f.countries, Log: log,
			})
			if err != nil {
				return err
			}
			return report.Write(cmd.OutOrStdout())
		},
	}
	f.add(cmd)
	return cmd
}

func loadFloorCommand() *cobra.Command {
	var f loadFlags
	cmd := &cobra.Command{
		Use:   "floor",
		Short: "Run the lifecycle scenario, then a bare workflow with the same updates, and compare",
		Long: `Run the lifecycle scenario, then, on the same Temporal server and with the same
concurrency and limits, a bare workflow that receives the same four updates
(send with its start, accept, answer, close) with empty handlers and no
activities, polled by a worker this process runs on a task queue of its own.
Prints OpenIMI's lifecycles per second as a share of the floor's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := system.LoadConfig()
			if err != nil {
				return err
			}
			ctx, out := cmd.Context(), cmd.OutOrStdout()
			openimi, err := load.Lifecycle(ctx, load.LifecycleOptions{BaseURL: f.url, Limits: f.limits, Countries: f.countries, Log: log})
			if err != nil {
				return err
			}
			if err := openimi.Write(out); err != nil {
				return err
			}
			fmt.Fprintln(out)
			floor, err := load.Floor(ctx, load.FloorOptions{
				TemporalAddress: cfg.TemporalAddress, Namespace: cfg.TemporalNamespace, Limits: f.limits, Log: log,
			})
			if err != nil {
				return err
			}
			if err := floor.Write(out); err != nil {
				return err
			}
			return writeRatio(out, openimi, floor)
		},
	}
	f.add(cmd)
	return cmd
}

func writeRatio(out io.Writer, openimi, floor load.Report) error {
	if floor.PerSecond() == 0 {
		return fmt.Errorf("load: the floor completed no lifecycle")
	}
	if openimi.Think > 0 {
		// Both runs then go at the officials' pace, not the machine's.
		_, err := fmt.Fprintf(out, "\nOpenIMI %.1f lifecycles/s, the floor %.1f, both paced by thinking officials: run with --think 0 to compare capacity\n",
			openimi.PerSecond(), floor.PerSecond())
		return err
	}
	_, err := fmt.Fprintf(out, "\nOpenIMI %.1f lifecycles/s = %.0f %% of the floor's %.1f (goal: at least 50 %%)\n",
		openimi.PerSecond(), 100*openimi.PerSecond()/floor.PerSecond(), floor.PerSecond())
	return err
}

func loadSearchCommand() *cobra.Command {
	opts := load.SearchOptions{}
	var url string
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Measure directory searches over HTTP, per kind of query and for their mix",
		Long: `Make each of the directory benchmark's queries (docs/BENCHMARKS.md) the given
number of times, round after round, as a demo handler, through
GET /api/v1/authorities, and print latency percentiles per query and for the
mix. Seed the large directory first: openimi seed --demo --authorities 100000.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, log, err := system.LoadConfig()
			if err != nil {
				return err
			}
			opts.BaseURL, opts.Log = url, log
			report, err := load.Search(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return report.Write(cmd.OutOrStdout())
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080", "the API's base URL (loopback only)")
	cmd.Flags().IntVar(&opts.Iterations, "iterations", 100, "how many times each query is made")
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", 1, "officials searching at once")
	cmd.Flags().DurationVar(&opts.Duration, "duration", 5*time.Minute, "the most the run may take")
	return cmd
}

func loadTimersCommand() *cobra.Command {
	opts := load.TimersOptions{}
	var url string
	cmd := &cobra.Command{
		Use:   "timers",
		Short: "Open requests that wait on their deadlines, then let their reminders fire at once",
		Long: `Start an openimi worker of its own, open N requests (draft and send) that wait
for acceptance, report the time to open them and the resident memory of the
worker and of the Temporal server while they wait; then stop the worker until
every request's day-3 acceptance reminder is due, start it again, and report
how long until every reminder is recorded and its mails delivered.

Run the API without a worker (openimi api), with the same short OPENIMI_DAY as
this command: three days of it must exceed the time to open the requests.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, log, err := system.LoadConfig()
			if err != nil {
				return err
			}
			exe, err := os.Executable()
			if err != nil {
				return fmt.Errorf("load: find the openimi binary: %w", err)
			}
			opts.BaseURL, opts.Log, opts.Day = url, log, cfg.Day
			opts.DatabaseURL, opts.TemporalAddress = cfg.DatabaseURL, cfg.TemporalAddress
			opts.Executable, opts.WorkerLogs = exe, cmd.ErrOrStderr()
			report, err := load.Timers(cmd.Context(), opts)
			if report.Opening.Completed == 0 {
				return err
			}
			// What was measured before a failure is still worth reading.
			if werr := report.Write(cmd.OutOrStdout()); werr != nil && err == nil {
				err = werr
			}
			return err
		},
	}
	cmd.Flags().StringVar(&url, "url", "http://127.0.0.1:8080", "the API's base URL (loopback only)")
	cmd.Flags().IntVar(&opts.Requests, "requests", 2000, "how many requests to open")
	cmd.Flags().IntVar(&opts.Concurrency, "concurrency", 20, "officials opening requests at once")
	cmd.Flags().DurationVar(&opts.MaxBurst, "max-burst", 10*time.Minute, "the longest wait for the reminders")
	return cmd
}

func loadPagesCommand() *cobra.Command {
	var f loadFlags
	opts := load.PagesOptions{}
	cmd := &cobra.Command{
		Use:   "pages",
		Short: "Sign officials in through the sign-in page and have them load their incoming box and a request page",
		Long: `Create requests through the JSON API so that each demo handler has some in the
incoming box, then sign each virtual official in through the sign-in page (its
CSRF token and session cookie, as a browser does) and have them load, round
after round, their incoming box (/requests?box=incoming) and the page of one
request it lists. Prints p50/p95/p99 per page as the client saw it and as the
server timed it (the pages' Server-Timing header), against the goal of a p95
under 50 ms of server time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, log, err := system.LoadConfig()
			if err != nil {
				return err
			}
			opts.BaseURL, opts.Limits, opts.Countries, opts.Log = f.url, f.limits, f.countries, log
			report, err := load.Pages(cmd.Context(), opts)
			if err != nil {
				return err
			}
			return report.Write(cmd.OutOrStdout())
		},
	}
	f.add(cmd)
	cmd.Flags().Lookup("count").Usage = "how many rounds (incoming box + request page) to start at most"
	cmd.Flags().Lookup("duration").Usage = "how long to start new rounds"
	cmd.Flags().IntVar(&opts.PerOfficial, "per-official", 5, "requests created first in each demo handler's incoming box")
	return cmd
}
