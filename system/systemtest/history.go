package systemtest

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"
)

// recordHistories makes end-to-end tests save the histories of the
// workflows they ran into workflows/testdata, for the replay test:
// go test ./api -run TestRegistration -args -record-histories
var recordHistories = flag.Bool("record-histories", false, "save the histories of workflows run into workflows/testdata")

// RecordHistory saves a completed workflow's history as name.json when the
// test runs with -record-histories.
func (s *System) RecordHistory(t *testing.T, workflowID, name string) {
	t.Helper()
	if !*recordHistories {
		return
	}
	ctx := context.Background()
	iter := s.App.Temporal.GetWorkflowHistory(ctx, workflowID, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var history historypb.History
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatalf("history of %s: %v", workflowID, err)
		}
		history.Events = append(history.Events, ev)
	}
	data, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(&history)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(moduleRoot(t), "workflows", "testdata", name+".json")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %s", path)
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatal("no go.mod above the test")
		}
	}
}
