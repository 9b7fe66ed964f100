package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/openimi/openimi/activities"
)

// SystemCheckWorkflowName is how the API, the worker and operators' tools
// name the system check.
const SystemCheckWorkflowName = "SystemCheck"

// SystemCheckWorkflowID is the business key of a check; the caller chooses
// the label, so that a retried check does not start twice.
func SystemCheckWorkflowID(label string) string { return "system-check/" + label }

// SystemCheckInput starts a system check.
type SystemCheckInput struct {
	// RequestedBy says who asked, for the workflow's history.
	RequestedBy string
}

// SystemCheckResult is what a completed check saw.
type SystemCheckResult struct {
	// StartedAt is the workflow's own clock at its start.
	StartedAt time.Time
	// DatabaseTime is the database's clock, read by an activity on a worker.
	DatabaseTime time.Time
}

// SystemCheck proves the whole chain an information request relies on: the
// Temporal server schedules the workflow on a worker, which runs an activity
// that reaches the database.
func SystemCheck(ctx workflow.Context, in SystemCheckInput) (SystemCheckResult, error) {
	logger := workflow.GetLogger(ctx)
	logger.Info("system check started", "requested_by", in.RequestedBy)
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
	})
	result := SystemCheckResult{StartedAt: workflow.Now(ctx)}
	var a *activities.Activities
	if err := workflow.ExecuteActivity(ctx, a.ReadDatabaseClock).Get(ctx, &result.DatabaseTime); err != nil {
		return SystemCheckResult{}, fmt.Errorf("read database clock: %w", err)
	}
	return result, nil
}
