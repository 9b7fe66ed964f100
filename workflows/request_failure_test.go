package workflows_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/workflows"
)

// refusedForGood is what RecordRequestEvent returns when PostgreSQL
// refuses a value (SQLSTATE 22021 for a NUL byte).
func refusedForGood() error {
	return temporal.NewNonRetryableApplicationError("record: invalid byte sequence for encoding \"UTF8\": 0x00 (SQLSTATE 22021)",
		activities.ErrTypeInvalidData, nil)
}

func TestRequest_AnActionTheDatabaseRefusesFailsAloneAndTheRequestGoesOn(t *testing.T) {
	h := newRequestHarness(t, 20)
	h.fail = func(ev activities.RequestEvent) error {
		if strings.ContainsRune(ev.Command.Text, 0) {
			return refusedForGood()
		}
		return nil
	}
	accept := h.act(day, workflows.ActAccept, workflows.RequestCommand{Actor: responder})
	refused := h.act(2*day, workflows.ActMessage, workflows.RequestCommand{Actor: requester, Text: "a\x00b"})
	// Right after: no "another action is being recorded".
	message := h.act(2*day+time.Minute, workflows.ActMessage, workflows.RequestCommand{Actor: requester, Text: "any news?"})
	withdraw := h.act(25*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester, Text: "no longer needed"})
	h.run(t)

	h.mustSucceed(t, "accept", accept)
	mustRefuse(t, "message with a NUL", refused, workflows.ErrTypeActionNotRecorded)
	h.mustSucceed(t, "the next message", message)
	h.mustSucceed(t, "withdraw", withdraw)
	if message.status.State != workflows.Accepted || message.status.Event != 3 {
		t.Errorf("after the next message: %+v, want ACCEPTED at event 3 (sent, accept, message)", message.status)
	}
	var cause *temporal.ApplicationError
	if errors.As(errors.Unwrap(refused.err), &cause); cause == nil || cause.Type() != activities.ErrTypeInvalidData {
		t.Errorf("refusal's cause %v, want the activity's %s", errors.Unwrap(refused.err), activities.ErrTypeInvalidData)
	}
	h.expect(t, string(workflows.ActMessage), []time.Duration{2*day + time.Minute})
	// The deadlines still run.
	h.expect(t, string(activities.ReplyReminder), days(17, 20))
	h.expect(t, string(activities.ReplyOverdue), days(21))
	h.expect(t, string(activities.PersonalDataDeleted), after(25, retentionDelete))
}

func TestRequest_ADeadlineTheDatabaseRefusesIsSkippedAndTheNextStillFires(t *testing.T) {
	h := newRequestHarness(t, 30)
	h.fail = func(ev activities.RequestEvent) error {
		if ev.Kind == string(activities.AcceptanceReminder) && ev.Days == 3 {
			return refusedForGood()
		}
		return nil
	}
	accept := h.act(8*day, workflows.ActAccept, workflows.RequestCommand{Actor: responder})
	withdraw := h.act(9*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h.run(t)

	h.mustSucceed(t, "accept", accept)
	h.mustSucceed(t, "withdraw", withdraw)
	h.expect(t, string(activities.AcceptanceReminder), days(6))
	h.expect(t, string(activities.AcceptanceEscalation), days(7))
	tries := 0
	for _, k := range h.tried {
		if strings.Contains(k, string(activities.AcceptanceReminder)+"/3@") {
			tries++
		}
	}
	if tries != 1 {
		t.Errorf("the refused reminder was tried %d times, want once (non-retryable, then skipped)", tries)
	}
	h.expect(t, string(activities.PersonalDataDeleted), after(9, retentionDelete))
}

func TestRequest_DatabaseOutOfReachFailsTheActionThenDeadlinesAndActionsResume(t *testing.T) {
	h := newRequestHarness(t, 30)
	outageFrom, outageTo := 3*day-5*time.Minute, 3*day+20*time.Minute
	failedKey := ""
	h.fail = func(ev activities.RequestEvent) error {
		if now := h.env.Now().Sub(h.start); now >= outageFrom && now < outageTo {
			if ev.Kind == string(workflows.ActMessage) {
				failedKey = ev.Key
			}
			return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
		}
		return nil
	}
	during := h.act(3*day-4*time.Minute, workflows.ActMessage, workflows.RequestCommand{Actor: requester, Text: "anyone there?"})
	afterwards := h.act(3*day+time.Hour, workflows.ActMessage, workflows.RequestCommand{Actor: requester, Text: "anyone there now?"})
	withdraw := h.act(9*day, workflows.ActWithdraw, workflows.RequestCommand{Actor: requester})
	h.run(t)

	mustRefuse(t, "message during the outage", during, workflows.ErrTypeRecordingUnavailable)
	h.mustSucceed(t, "message after the outage", afterwards)
	h.mustSucceed(t, "withdraw", withdraw)
	// The reminder due at day 3 was tried for its bound, then again after
	// the pause, once the database was back.
	reminders := h.at(string(activities.AcceptanceReminder))
	if len(reminders) != 2 || reminders[0] < outageTo || reminders[0] > outageTo+30*time.Minute || reminders[1] != 6*day {
		t.Errorf("acceptance reminders at %v, want one shortly after %v and one on day 6", reminders, outageTo)
	}
	h.expect(t, string(activities.AcceptanceEscalation), days(7))
	// The key of the action that failed is not used again: a late commit
	// of its last attempt cannot pass for the next message.
	if failedKey == "" {
		t.Fatal("the message during the outage was never tried")
	}
	for _, e := range h.events {
		if e.ev.Key == failedKey {
			t.Errorf("event %s (%s) reuses the key of the action that failed", e.ev.Key, e.kind)
		}
	}
	if !slices.ContainsFunc(h.events, func(e recorded) bool { return e.kind == string(workflows.ActMessage) && e.after == 3*day+time.Hour }) {
		t.Error("the message after the outage is not recorded")
	}
}

func TestRequest_ASendingTheDatabaseRefusesFailsTheSendUpdateAndEndsTheRun(t *testing.T) {
	h := newRequestHarness(t, 30)
	h.fail = func(ev activities.RequestEvent) error {
		if ev.Kind == "sent" {
			return refusedForGood()
		}
		return nil
	}
	send := &actionResult{}
	h.env.RegisterDelayedCallback(func() {
		h.env.UpdateWorkflow(workflows.SendUpdate, "send", &testsuite.TestUpdateCallback{
			OnReject:   func(err error) { send.err, send.done = err, true },
			OnAccept:   func() {},
			OnComplete: func(_ any, err error) { send.err, send.done = err, true },
		})
	}, 0)
	h.env.ExecuteWorkflow(workflows.InformationRequest, h.in)

	mustRefuse(t, "send", send, workflows.ErrTypeActionNotRecorded)
	if !h.env.IsWorkflowCompleted() || h.env.GetWorkflowError() == nil {
		t.Error("the run goes on although the request was never sent")
	}
	if len(h.events) != 0 {
		t.Errorf("recorded %d events, want none", len(h.events))
	}
}
