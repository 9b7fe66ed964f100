package workflows_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/workflows"
)

func TestSystemCheck_ReturnsTheDatabaseClockReadOnAWorker(t *testing.T) {
	env := newTestEnvironment()
	var a *activities.Activities
	env.RegisterActivity(a.ReadDatabaseClock)
	dbTime := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	env.OnActivity(a.ReadDatabaseClock, mock.Anything).Return(dbTime, nil).Once()

	env.ExecuteWorkflow(workflows.SystemCheck, workflows.SystemCheckInput{RequestedBy: "test"})

	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var result workflows.SystemCheckResult
	if err := env.GetWorkflowResult(&result); err != nil {
		t.Fatal(err)
	}
	if !result.DatabaseTime.Equal(dbTime) {
		t.Errorf("DatabaseTime = %v, want %v", result.DatabaseTime, dbTime)
	}
	if result.StartedAt.IsZero() {
		t.Error("StartedAt not taken from the workflow clock")
	}
	env.AssertExpectations(t)
}

func TestSystemCheck_FailsAfterBoundedRetriesWhenTheDatabaseIsUnreachable(t *testing.T) {
	env := newTestEnvironment()
	var a *activities.Activities
	env.RegisterActivity(a.ReadDatabaseClock)
	attempts := 0
	env.OnActivity(a.ReadDatabaseClock, mock.Anything).Return(func(context.Context) (time.Time, error) {
		attempts++
		return time.Time{}, errors.New("connection refused")
	})

	env.ExecuteWorkflow(workflows.SystemCheck, workflows.SystemCheckInput{RequestedBy: "test"})

	if err := env.GetWorkflowError(); err == nil {
		t.Fatal("workflow succeeded without a database")
	}
	if attempts != 3 {
		t.Errorf("activity tried %d times, want the bounded 3", attempts)
	}
}

// newTestEnvironment is the SDK's workflow test environment, with time
// skipping, logging nowhere: a failing assertion says what matters.
func newTestEnvironment() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(sdklog.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	return suite.NewTestWorkflowEnvironment()
}
