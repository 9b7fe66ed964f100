package worker_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/openimi/openimi/activities"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
	"github.com/openimi/openimi/system/testenv"
	"github.com/openimi/openimi/workflows"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// The API refuses a NUL byte at its edge; a text that reaches the
// recording activity with one anyway (another client of the workflow, an
// older API) must fail that one action, not wedge the request.
func TestRequest_ATextThatPostgreSQLRefusesFailsItsActionAloneAndTheRequestTakesTheNext(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	handler := []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}}
	requester := sys.Authority(t, "DE", "Bayern", areas, handler)
	responder := sys.Authority(t, "PL", "Pomorskie", areas, handler)

	resp := sys.Do(t, http.MethodPost, "/api/v1/requests", requester.Token, map[string]any{
		"area": "services", "responding_authority": responder.AuthorityID.String(),
		"subject": "Bauunternehmen Kowalski Sp. z o.o.", "subject_lang": "de",
		"questions": []string{"legally-established"},
		"free_text": "Bauleistungen in Bayern.", "free_text_lang": "de",
		"personal_data": map[string]string{"name": "Jan Kowalski"},
		"needed_by":     time.Now().UTC().AddDate(0, 0, 20).Format("2006-01-02"),
	})
	if resp.Status != http.StatusCreated {
		t.Fatalf("create draft: %d %s", resp.Status, resp.Body)
	}
	var draft struct{ ID string }
	resp.JSON(t, &draft)
	if r := sys.Do(t, http.MethodPost, "/api/v1/requests/"+draft.ID+"/send", requester.Token, nil); r.Status != http.StatusOK {
		t.Fatalf("send: %d %s", r.Status, r.Body)
	}
	requestID := uuid.MustParse(draft.ID)

	// Straight to the workflow, past the API's check of the text.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	handle, err := sys.App.Temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   workflows.RequestWorkflowID(requestID),
		UpdateName:   string(workflows.ActMessage),
		WaitForStage: client.WorkflowUpdateStageCompleted,
		Args: []any{workflows.RequestCommand{
			Actor: workflows.RequestActor{UserID: requester.UserID, AuthorityID: requester.AuthorityID, Handler: true},
			Text:  "Jan Kowalski\x00", TextLang: "de",
		}},
	})
	if err == nil {
		err = handle.Get(ctx, nil)
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != workflows.ErrTypeActionNotRecorded {
		t.Fatalf("message with a NUL byte: %v, want the update refused with %s (within 30s, not retried)", err, workflows.ErrTypeActionNotRecorded)
	}
	var cause *temporal.ApplicationError
	if !errors.As(errors.Unwrap(appErr), &cause) || cause.Type() != activities.ErrTypeInvalidData {
		t.Errorf("cause %v, want the activity's %s", errors.Unwrap(appErr), activities.ErrTypeInvalidData)
	}

	// The request takes the next action at once, by the API.
	if r := sys.Do(t, http.MethodPost, "/api/v1/requests/"+draft.ID+"/message", requester.Token,
		map[string]any{"text": "Gibt es Neuigkeiten?", "text_lang": "de"}); r.Status != http.StatusOK {
		t.Fatalf("the next message: %d %s, want 200", r.Status, r.Body)
	}
	if r := sys.Do(t, http.MethodPost, "/api/v1/requests/"+draft.ID+"/accept", responder.Token, map[string]any{}); r.Status != http.StatusOK {
		t.Fatalf("accept: %d %s, want 200", r.Status, r.Body)
	}
	timeline, err := sys.Store.RequestTimeline(ctx, requestID)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range timeline {
		kinds = append(kinds, e.Kind)
	}
	if want := []string{"sent", "message", "accept"}; !slices.Equal(kinds, want) {
		t.Errorf("timeline %v, want %v: the refused message left nothing behind", kinds, want)
	}
	req, err := sys.Store.Request(ctx, requestID)
	if err != nil || req.State != string(workflows.Accepted) || req.LastEvent != 3 {
		t.Errorf("request %s after %d events (%v), want ACCEPTED after 3", req.State, req.LastEvent, err)
	}
	// With -record-histories: a history with a failed recording and its
	// version marker, for the replay test.
	sys.RecordHistory(t, workflows.RequestWorkflowID(requestID), "request_action_not_recorded_v1")
}
