package worker_test

import (
	"log/slog"
	"path/filepath"
	"testing"

	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"

	"github.com/openimi/openimi/worker"
)

// TestReplay_CommittedHistoriesStillReplay guards running workflows: a
// change to a workflow's sequence of commands without workflow.GetVersion
// makes its recorded histories fail here before it breaks production.
func TestReplay_CommittedHistoriesStillReplay(t *testing.T) {
	files, err := filepath.Glob("../workflows/testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no committed histories in workflows/testdata")
	}
	replayer := sdkworker.NewWorkflowReplayer()
	worker.RegisterWorkflows(replayer)
	logger := sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler))
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(logger, file); err != nil {
				t.Errorf("history %s no longer replays: %v", file, err)
			}
		})
	}
}
