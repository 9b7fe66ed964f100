package worker_test

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/openimi/openimi/worker"
)

// TestReplay_HistoriesOfEveryReleaseStillReplay replays the histories frozen
// at each release (workflows/testdata/releases/<version>/) against the
// current code: runs started by a release may live three years, and every
// release after it must still drive them (docs/ARCHITECTURE.md, Workflow
// versioning). A release adds its folder; a folder is removed only when no
// run it started can still be open.
func TestReplay_HistoriesOfEveryReleaseStillReplay(t *testing.T) {
	releases, err := os.ReadDir("../workflows/testdata/releases")
	if err != nil {
		t.Fatalf("no released histories: %v", err)
	}
	replayer := sdkworker.NewWorkflowReplayer()
	worker.RegisterWorkflows(replayer)
	logger := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	replayed := 0
	for _, release := range releases {
		if !release.IsDir() {
			continue
		}
		files, err := filepath.Glob(filepath.Join("../workflows/testdata/releases", release.Name(), "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("release %s has no histories", release.Name())
		}
		for _, file := range files {
			t.Run(release.Name()+"/"+filepath.Base(file), func(t *testing.T) {
				if err := replayer.ReplayWorkflowHistoryFromJSONFile(logger, file); err != nil {
					t.Errorf("a run started by %s no longer replays: %v", release.Name(), err)
				}
			})
			replayed++
		}
	}
	if replayed == 0 {
		t.Fatal("no release's histories were replayed")
	}
}
