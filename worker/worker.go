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
		// The default pollers all turn to this worker's sticky queue while
		// it has a backlog, so under load a newly sent request's first
		// workflow task, which is on the task queue, waited behind every
		// other request's actions: send took 500 ms at 20 officials while
		// accept took 60. Autoscaling pollers keep a poll of their own open
		// on the task queue.
		WorkflowTaskPollerBehavior: sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{}),
	})
	RegisterWorkflows(w)
	w.RegisterActivityWithOptions(acts, activity.RegisterOptions{SkipInvalidStructFunctions: true})
	return w
}

// RegisterWorkflows adds every workflow under its published name: to the
// worker, and to the replayer that checks committed histories still replay.
func RegisterWorkflows(r sdkworker.WorkflowRegistry) {
	r.RegisterWorkflowWithOptions(workflows.SystemCheck, workflow.RegisterOptions{Name: workflows.SystemCheckWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.Registration, workflow.RegisterOptions{Name: workflows.RegistrationWorkflowName})
	r.RegisterWorkflowWithOptions(workflows.InformationRequest, workflow.RegisterOptions{Name: workflows.RequestWorkflowName})
}
