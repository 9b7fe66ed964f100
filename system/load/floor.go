package load

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// FloorWorkflowName names the bare workflow of the floor scenario.
const FloorWorkflowName = "LoadFloor"

// floorUpdates are the updates a request receives in one lifecycle: sent
// with the workflow's start, then accept, answer and close, as OpenIMI's
// InformationRequest receives them.
func floorUpdates() []string { return []string{"send", "accept", "answer", "close"} }

// FloorWorkflow receives a lifecycle's updates with empty handlers and no
// activity, and ends after the last: what any design built on Temporal
// pays at the least for a request's four steps on this server.
func FloorWorkflow(ctx workflow.Context) error {
	closed := false
	for _, name := range floorUpdates() {
		last := name == "close"
		err := workflow.SetUpdateHandler(ctx, name, func(ctx workflow.Context) error {
			if last {
				closed = true
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("register %s: %w", name, err)
		}
	}
	return workflow.Await(ctx, func() bool { return closed && workflow.AllHandlersFinished(ctx) })
}

// FloorOptions shape a floor run.
type FloorOptions struct {
	// TemporalAddress and Namespace are those of the server OpenIMI uses.
	TemporalAddress string
	Namespace       string
	Limits
	Log *slog.Logger
}

// Floor runs FloorWorkflow lifecycles on the given Temporal server, with a
// worker of this process polling a task queue of its own, driven like the
// lifecycle scenario: each virtual official starts a workflow with its
// first update and sends the three others, waiting for each to complete.
func Floor(ctx context.Context, opts FloorOptions) (Report, error) {
	if err := opts.Limits.Check(); err != nil {
		return Report{}, err
	}
	if err := CheckLoopback(opts.TemporalAddress); err != nil {
		return Report{}, err
	}
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  opts.TemporalAddress,
		Namespace: opts.Namespace,
		Logger:    sdklog.NewStructuredLogger(opts.Log.With("component", "temporal")),
	})
	if err != nil {
		return Report{}, fmt.Errorf("floor: connect to Temporal at %s: %w", opts.TemporalAddress, err)
	}
	defer c.Close()
	// A task queue of its own, so that the floor never runs on OpenIMI's
	// worker nor on another run's.
	queue := "openimi-load-floor-" + strings.ToLower(rand.Text()[:8])
	// The pollers OpenIMI's worker uses (worker.New), so that the floor
	// differs from OpenIMI only in what the workflow does.
	w := sdkworker.New(c, queue, sdkworker.Options{
		WorkflowTaskPollerBehavior: sdkworker.NewPollerBehaviorAutoscaling(sdkworker.PollerBehaviorAutoscalingOptions{}),
	})
	w.RegisterWorkflowWithOptions(FloorWorkflow, workflow.RegisterOptions{Name: FloorWorkflowName})
	if err := w.Start(); err != nil {
		return Report{}, fmt.Errorf("floor: start the worker on %s: %w", queue, err)
	}
	defer w.Stop()
	rec := NewRecorder()
	opts.Log.Info("floor run", "officials", opts.Concurrency, "task_queue", queue, "duration", opts.Duration.String(), "count", opts.Count)
	t, err := drive(ctx, opts.Log, opts.Limits, func(ctx context.Context, turn Turn) error {
		return runFloorLifecycle(ctx, c, queue, rec, turn)
	})
	return Report{
		Scenario: "floor", Concurrency: opts.Concurrency, Think: opts.Think, Throughput: t,
		Latencies: rec.Latencies(floorUpdates()...),
		Failures:  rec.Failures(func(_ string, status int) bool { return status == 200 }),
	}, err
}

// runFloorLifecycle is one bare lifecycle; outcomes are recorded as 200 or
// 0 (failed), since no HTTP is involved.
func runFloorLifecycle(ctx context.Context, c client.Client, queue string, rec *Recorder, turn Turn) error {
	id := "load-floor/" + uuid.NewString()
	observe := func(name string, started time.Time, err error) error {
		if err != nil {
			if ctx.Err() == nil {
				rec.Observe(name, 0, time.Since(started), false)
			}
			return fmt.Errorf("floor %s: %w", name, err)
		}
		rec.Observe(name, 200, time.Since(started), true)
		return nil
	}
	// The draft, which the floor has no part of, is thought over too.
	for range 2 {
		if err := turn.Think(ctx); err != nil {
			return err
		}
	}
	started := time.Now()
	start := c.NewWithStartWorkflowOperation(client.StartWorkflowOptions{
		ID: id, TaskQueue: queue, WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_FAIL,
	}, FloorWorkflowName)
	handle, err := c.UpdateWithStartWorkflow(ctx, client.UpdateWithStartWorkflowOptions{
		StartWorkflowOperation: start,
		UpdateOptions:          client.UpdateWorkflowOptions{UpdateName: "send", WaitForStage: client.WorkflowUpdateStageCompleted},
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	if err := observe("send", started, err); err != nil {
		return err
	}
	for _, name := range floorUpdates()[1:] {
		if err := turn.Think(ctx); err != nil {
			return err
		}
		started := time.Now()
		handle, err := c.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
			WorkflowID: id, UpdateName: name, WaitForStage: client.WorkflowUpdateStageCompleted,
		})
		if err == nil {
			err = handle.Get(ctx, nil)
		}
		if err := observe(name, started, err); err != nil {
			return err
		}
	}
	return nil
}
