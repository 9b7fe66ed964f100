package load

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"
)

// lifecycleActions are the calls of one request's life, in order.
func lifecycleActions() []string { return []string{"draft", "send", "accept", "answer", "close"} }

// LifecycleOptions shape a lifecycle run.
type LifecycleOptions struct {
	// BaseURL is the API's, e.g. http://127.0.0.1:8080.
	BaseURL string
	Limits
	// Countries is how many countries' demo handlers take part (2 to 30).
	Countries int
	Log       *slog.Logger
}

// Lifecycle runs complete requests (draft → send → accept → answer →
// close) between demo handlers of different countries: each virtual
// official takes a pair of countries and runs one request after another.
func Lifecycle(ctx context.Context, opts LifecycleOptions) (Report, error) {
	if err := opts.Limits.Check(); err != nil {
		return Report{}, err
	}
	rec := NewRecorder()
	api, err := NewAPI(opts.BaseURL, opts.Concurrency, rec)
	if err != nil {
		return Report{}, err
	}
	defer api.Close()
	if err := api.WaitReady(ctx, 60*time.Second); err != nil {
		return Report{}, err
	}
	officials, err := SignInDemoHandlers(ctx, api, opts.Countries)
	if err != nil {
		return Report{}, err
	}
	pairs := Pairs(officials)
	if len(pairs) == 0 {
		return Report{}, fmt.Errorf("load: no two of the %d demo handlers share an area", len(officials))
	}
	areas := make([]string, 0, len(pairs))
	for _, p := range pairs {
		areas = append(areas, p.Area)
	}
	questions, err := YesNoQuestions(ctx, api, areas, 3)
	if err != nil {
		return Report{}, err
	}
	// Sign-in and set-up calls are not part of the figures.
	rec = NewRecorder()
	api.rec = rec
	opts.Log.Info("lifecycle run", "officials", opts.Concurrency, "countries", len(officials), "pairs", len(pairs),
		"duration", opts.Duration.String(), "count", opts.Count)
	t, err := drive(ctx, opts.Log, opts.Limits, func(ctx context.Context, turn Turn) error {
		p := pairs[turn.Official%len(pairs)]
		return runRequest(ctx, api, p, questions[p.Area], turn)
	})
	return Report{
		Scenario: "lifecycle", Concurrency: opts.Concurrency, Think: opts.Think, Throughput: t,
		Latencies: rec.Latencies(lifecycleActions()...),
		Failures:  rec.Failures(func(_ string, status int) bool { return status == http.StatusOK || status == http.StatusCreated }),
	}, err
}

type requestView struct {
	ID    string `json:"id"`
	State string `json:"state"`
}

// runRequest carries one request from its draft to its closure.
func runRequest(ctx context.Context, api *API, p Pair, questions []string, turn Turn) error {
	var r requestView
	if err := turn.Think(ctx); err != nil {
		return err
	}
	err := api.Call(ctx, "draft", http.MethodPost, "/api/v1/requests", p.Requester.Token, map[string]any{
		"area": p.Area, "responding_authority": p.Responder.Authority,
		"subject": fmt.Sprintf("Load test request %d", turn.Seq), "subject_lang": "en",
		"questions": questions,
		"free_text": "Is this service provider lawfully established?", "free_text_lang": "en",
		"personal_data": map[string]string{"name": "Jan Kowalski"},
		"needed_by":     time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02"),
	}, http.StatusCreated, &r)
	if err != nil {
		return err
	}
	path := "/api/v1/requests/" + r.ID + "/"
	if err := turn.Think(ctx); err != nil {
		return err
	}
	if err := api.Call(ctx, "send", http.MethodPost, path+"send", p.Requester.Token, nil, http.StatusOK, nil); err != nil {
		return err
	}
	if err := turn.Think(ctx); err != nil {
		return err
	}
	if err := api.Call(ctx, "accept", http.MethodPost, path+"accept", p.Responder.Token, nil, http.StatusOK, nil); err != nil {
		return err
	}
	answers := make([]map[string]string, 0, len(questions))
	for _, q := range questions {
		answers = append(answers, map[string]string{"question": q, "value": "yes"})
	}
	if err := turn.Think(ctx); err != nil {
		return err
	}
	if err := api.Call(ctx, "answer", http.MethodPost, path+"answer", p.Responder.Token,
		map[string]any{"answers": answers}, http.StatusOK, nil); err != nil {
		return err
	}
	if err := turn.Think(ctx); err != nil {
		return err
	}
	return api.Call(ctx, "close", http.MethodPost, path+"close", p.Requester.Token,
		map[string]int{"timeliness_rating": 5, "effort_rating": 4}, http.StatusOK, nil)
}
