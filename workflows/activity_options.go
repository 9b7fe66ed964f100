package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Types of the errors an update returns when its action could not be
// recorded; the API maps them to statuses (ActionNotRecorded 422,
// RecordingUnavailable 503). In both cases the workflow's state is as
// before the action, and the request takes the next action as usual.
const (
	// ErrTypeActionNotRecorded: the database refused the action's content
	// for good (a value it cannot store, an unknown reference); the same
	// action would be refused again.
	ErrTypeActionNotRecorded = "ActionNotRecorded"
	// ErrTypeRecordingUnavailable: the database stayed out of reach for the
	// whole retry bound of the recording; the action may be tried again
	// later.
	ErrTypeRecordingUnavailable = "RecordingUnavailable"
)

// The bounds of the activities. Every activity's retries end, so that no
// input and no outage can keep a workflow's update, or its deadline loop,
// waiting for ever; what a workflow does when they end is its own (see
// actionNotRecorded and the deadline loops).
const (
	// recordAttemptTimeout bounds one attempt of a recording activity: a
	// transaction of a few rows, which takes milliseconds. A worker killed
	// mid-attempt is found out after this long, and the attempt retried.
	recordAttemptTimeout = 10 * time.Second
	// actionRecordBound bounds the recording of an official's action, who
	// is waiting for it: enough for a database restart, not so long that
	// the caller waits in vain.
	actionRecordBound = 2 * time.Minute
	// backgroundRecordBound bounds the recording of what nobody waits for
	// (a deadline, the sending, a registration's notice); past it the
	// workflow pauses for recordRetryPause and tries again.
	backgroundRecordBound = 10 * time.Minute
	recordRetryPause      = 15 * time.Minute
)

// recordRetryPolicy backs off from a second to maxInterval; the
// activity's ScheduleToCloseTimeout ends it.
func recordRetryPolicy(maxInterval time.Duration) *temporal.RetryPolicy {
	return &temporal.RetryPolicy{
		InitialInterval:    time.Second,
		BackoffCoefficient: 2,
		MaximumInterval:    maxInterval,
	}
}

// actionContext sets the options of the activity that records an action
// of an update: its caller waits, so it ends after actionRecordBound.
func actionContext(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    recordAttemptTimeout,
		ScheduleToCloseTimeout: actionRecordBound,
		RetryPolicy:            recordRetryPolicy(15 * time.Second),
	})
}

// backgroundContext sets the options of the activities that record what
// the workflow does on its own: deadlines, the sending, a registration's
// notices. They only write to the database, so retrying spams nobody.
func backgroundContext(ctx workflow.Context) workflow.Context {
	return workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout:    recordAttemptTimeout,
		ScheduleToCloseTimeout: backgroundRecordBound,
		RetryPolicy:            recordRetryPolicy(time.Minute),
	})
}

// recordingFailuresHandled is the change that stopped a failed recording
// from failing the workflow. Runs recorded before it had retries without
// end, so none of their recordings failed but for a non-retryable error,
// which failed the workflow: they replay that way.
const recordingFailuresHandled = "recording-failures-handled"

// handlesRecordingFailures reports whether this run survives a recording
// that failed for good. It is asked only once a recording has failed, so
// that runs whose recordings succeed keep their command sequence.
func handlesRecordingFailures(ctx workflow.Context) bool {
	return workflow.GetVersion(ctx, recordingFailuresHandled, workflow.DefaultVersion, 1) >= 1
}

// permanent reports whether an activity's failure was refused for good by
// the activity itself (a non-retryable error: its input is what is wrong),
// rather than its retries running out.
func permanent(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.NonRetryable()
}

// notRecorded is the error an update returns when the recording of its
// action failed for good: typed so that the API can say why, with the
// activity's failure as its cause for the history and the logs.
func notRecorded(what string, err error) error {
	if permanent(err) {
		return temporal.NewApplicationErrorWithCause(
			fmt.Sprintf("%s could not be recorded: the database refused its content; it did not take effect", what),
			ErrTypeActionNotRecorded, err)
	}
	return temporal.NewApplicationErrorWithCause(
		fmt.Sprintf("%s could not be recorded: the database is out of reach; it did not take effect, try again later", what),
		ErrTypeRecordingUnavailable, err)
}
