package observability

import (
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
)

// Set by the linker (-X) where the go command's own VCS stamping is off or
// the source has no .git (the Makefile's build, the Dockerfile); they stay
// empty otherwise. Read only through Build.
var (
	linkedVersion  string
	linkedRevision string
)

// BuildInfo names the code a process runs, for `openimi version`, the
// start-up log line and the openimi_build_info metric.
type BuildInfo struct {
	Version   string
	Revision  string
	Modified  bool
	GoVersion string
}

// Build reads the version and git revision: those given to the linker,
// else those the go command stamped (vcs.revision, vcs.modified), else
// "unknown".
func Build() BuildInfo {
	b := BuildInfo{Version: linkedVersion, Revision: linkedRevision}
	if info, ok := debug.ReadBuildInfo(); ok {
		b.GoVersion = info.GoVersion
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				if b.Revision == "" {
					b.Revision = s.Value
				}
			case "vcs.modified":
				b.Modified = s.Value == "true"
			}
		}
	}
	if b.Version == "" {
		b.Version = "unknown"
	}
	if b.Revision == "" {
		b.Revision = "unknown"
	}
	return b
}

// buildInfoCollector is the constant openimi_build_info gauge, 1, whose
// labels say which code runs: a dashboard joins it to see a rollout.
func buildInfoCollector(b BuildInfo) prometheus.Collector {
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "openimi_build_info",
		Help:        "Which build of OpenIMI this process runs; always 1.",
		ConstLabels: prometheus.Labels{"version": b.Version, "revision": b.Revision, "goversion": b.GoVersion},
	})
	g.Set(1)
	return g
}
