// Package worker wires OpenIMI's workflows and activities to a Temporal
// task queue.
package worker

import (
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/workflows"
)

// New returns a worker polling taskQueue with every workflow and activity
// registered; Start or Run it, then Stop to drain.
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, sdkworker.Options{
		// In-flight activities get this long to finish on Stop.
		WorkerStopTimeout: 15 * time.Second,
	})
	Register(w, acts)
	return w
}

// Register adds every workflow and activity to a registry: the worker, or a
// test environment.
func Register(r sdkworker.Registry, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.SystemCheck, workflow.RegisterOptions{Name: workflows.SystemCheckWorkflowName})
	r.RegisterActivityWithOptions(acts, activity.RegisterOptions{SkipInvalidStructFunctions: true})
}
