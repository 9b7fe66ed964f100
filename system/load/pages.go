package load

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/openimi/openimi/system/demo"
)

// The pages a pages run measures, under the names it reports them by.
const (
	pageIncomingBox = "incoming-box"
	pageRequest     = "request-page"
)

func pageNames() []string { return []string{pageIncomingBox, pageRequest} }

// PagesGoal is the goal for both pages: p95 of the server's time.
const PagesGoal = 50 * time.Millisecond

// PagesOptions shape a pages run.
type PagesOptions struct {
	// BaseURL is where both the pages and the JSON API are served.
	BaseURL string
	// Limits bound the run; Count counts rounds (the incoming box, then
	// one request page).
	Limits
	// Countries is how many countries' demo handlers browse (2 to 30);
	// with more virtual officials than that, several browse as the same
	// handler, each in a session of their own.
	Countries int
	// PerOfficial is how many requests each handler finds in the incoming
	// box: the run creates them first through the JSON API.
	PerOfficial int
	Log         *slog.Logger
}

// PagesReport is what a pages run measured: each page as the client saw
// it and as the server timed it (its Server-Timing header).
type PagesReport struct {
	Concurrency int
	Think       time.Duration
	Throughput
	// Officials is how many demo handlers browsed, and Requests how many
	// requests the run created for their incoming boxes.
	Officials, Requests int
	Client, Server      []Latency
	Failures            []Failure
}

// Pages signs virtual officials in through the sign-in page, as a browser
// does (the session cookie, the form's CSRF token), and has each load their
// incoming box and then one of the requests it lists, round after round.
// The requests are created first through the JSON API, between demo
// handlers of different countries, so that every box has some to open.
func Pages(ctx context.Context, opts PagesOptions) (PagesReport, error) {
	if err := opts.Limits.Check(); err != nil {
		return PagesReport{}, err
	}
	if opts.PerOfficial < 1 || opts.PerOfficial > 100 {
		return PagesReport{}, fmt.Errorf("load: requests per official must be between 1 and 100, not %d", opts.PerOfficial)
	}
	setup := NewRecorder()
	api, err := NewAPI(opts.BaseURL, opts.Concurrency, setup)
	if err != nil {
		return PagesReport{}, err
	}
	defer api.Close()
	if err := api.WaitReady(ctx, 60*time.Second); err != nil {
		return PagesReport{}, err
	}
	officials, err := SignInDemoHandlers(ctx, api, max(2, min(opts.Countries, opts.Concurrency)))
	if err != nil {
		return PagesReport{}, err
	}
	created, err := fillIncomingBoxes(ctx, api, officials, opts.PerOfficial, opts.Log)
	if err != nil {
		return PagesReport{}, err
	}

	client, server := NewRecorder(), NewRecorder()
	transport := api.http.Transport
	browsers := make([]*browser, opts.Concurrency)
	for i := range browsers {
		b, err := newBrowser(opts.BaseURL, transport, setup, setup)
		if err != nil {
			return PagesReport{}, err
		}
		// Signing in is not part of the figures: it is one slow password
		// check per session, not what officials wait for all day.
		if err := b.signIn(ctx, officials[i%len(officials)].Email, demo.Password); err != nil {
			return PagesReport{}, err
		}
		b.client, b.server = client, server
		browsers[i] = b
	}
	opts.Log.Info("pages run", "officials", opts.Concurrency, "handlers", len(officials), "requests", created,
		"duration", opts.Duration.String(), "count", opts.Count)
	t, err := drive(ctx, opts.Log, opts.Limits, func(ctx context.Context, turn Turn) error {
		return browsers[turn.Official].round(ctx, turn)
	})
	return PagesReport{
		Concurrency: opts.Concurrency, Think: opts.Think, Throughput: t,
		Officials: len(officials), Requests: created,
		Client: client.Latencies(pageNames()...), Server: server.Latencies(pageNames()...),
		Failures: client.Failures(func(_ string, status int) bool { return status == http.StatusOK }),
	}, err
}

// fillIncomingBoxes creates perOfficial requests for each official to
// receive, each from an official of another country sharing an area, and
// sends them: a draft is in no one's incoming box.
func fillIncomingBoxes(ctx context.Context, api *API, officials []Official, perOfficial int, log *slog.Logger) (int, error) {
	byResponder := map[string][]Pair{}
	var areas []string
	for _, p := range Pairs(officials) {
		byResponder[p.Responder.Email] = append(byResponder[p.Responder.Email], p)
		areas = append(areas, p.Area)
	}
	questions, err := YesNoQuestions(ctx, api, areas, 3)
	if err != nil {
		return 0, err
	}
	var jobs []Pair
	for _, o := range officials {
		pairs := byResponder[o.Email]
		if len(pairs) == 0 {
			return 0, fmt.Errorf("load: no other demo handler shares an area with %s, whose box would stay empty", o.Email)
		}
		for i := range perOfficial {
			jobs = append(jobs, pairs[i%len(pairs)])
		}
	}
	log.Info("creating the requests the officials will open", "requests", len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, p := range jobs {
		g.Go(func() error { return sendRequest(gctx, api, p, questions[p.Area], i+1) })
	}
	if err := g.Wait(); err != nil {
		return 0, fmt.Errorf("load: create the requests to open: %w", err)
	}
	return len(jobs), nil
}

// sendRequest drafts a request from p's requester to p's responder and
// sends it.
func sendRequest(ctx context.Context, api *API, p Pair, questions []string, seq int) error {
	var r requestView
	err := api.Call(ctx, "draft", http.MethodPost, "/api/v1/requests", p.Requester.Token, map[string]any{
		"area": p.Area, "responding_authority": p.Responder.Authority,
		"subject": fmt.Sprintf("Pages load test request %d", seq), "subject_lang": "en",
		"questions": questions,
		"free_text": "Is this service provider lawfully established?", "free_text_lang": "en",
		"personal_data": map[string]string{"name": "Jan Kowalski"},
		"needed_by":     time.Now().UTC().AddDate(0, 0, 30).Format("2006-01-02"),
	}, http.StatusCreated, &r)
	if err != nil {
		return err
	}
	return api.Call(ctx, "send", http.MethodPost, "/api/v1/requests/"+r.ID+"/send", p.Requester.Token, nil, http.StatusOK, nil)
}

// browser is one official's browser: a cookie jar of its own, redirects
// not followed (each page load is measured alone), and the headers a
// browser sends with a form.
type browser struct {
	base           string
	http           *http.Client
	client, server *Recorder
}

func newBrowser(base string, transport http.RoundTripper, client, server *Recorder) (*browser, error) {
	if err := CheckLoopback(base); err != nil {
		return nil, err
	}
	return &browser{
		base: strings.TrimRight(base, "/"),
		http: &http.Client{
			Transport: transport, Jar: &loopbackJar{cookies: map[string]*http.Cookie{}}, Timeout: 60 * time.Second,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		client: client, server: server,
	}, nil
}

// loopbackJar keeps the cookies of the one site a browser talks to. A
// browser treats a loopback origin as secure and sends it the Secure
// cookies an OpenIMI with an https PUBLIC_URL sets (named __Host-…); Go's
// cookiejar sends them over https only.
type loopbackJar struct {
	mu      sync.Mutex
	cookies map[string]*http.Cookie
}

func (j *loopbackJar) SetCookies(_ *url.URL, cookies []*http.Cookie) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for _, c := range cookies {
		if c.MaxAge < 0 || c.Value == "" {
			delete(j.cookies, c.Name)
			continue
		}
		j.cookies[c.Name] = &http.Cookie{Name: c.Name, Value: c.Value}
	}
}

func (j *loopbackJar) Cookies(*url.URL) []*http.Cookie {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := make([]*http.Cookie, 0, len(j.cookies))
	for _, c := range j.cookies {
		out = append(out, c)
	}
	return out
}

var (
	csrfInput = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)
	// requestLink is a link of the box's table to a request's page.
	requestLink = regexp.MustCompile(`href="/requests/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"`)
)

// signIn fills in and posts the sign-in form: the page sets the signed-out
// CSRF cookie and puts the matching token in the form.
func (b *browser) signIn(ctx context.Context, email, password string) error {
	next := "/requests?box=incoming"
	form, _, err := b.do(ctx, "sign-in-form", http.MethodGet, "/sign-in?next="+url.QueryEscape(next), nil, http.StatusOK)
	if err != nil {
		return err
	}
	m := csrfInput.FindStringSubmatch(form)
	if m == nil {
		return errors.New("load: the sign-in page has no CSRF token")
	}
	values := url.Values{"csrf_token": {m[1]}, "next": {next}, "email": {email}, "password": {password}}
	_, resp, err := b.do(ctx, "sign-in", http.MethodPost, "/sign-in", values, http.StatusSeeOther)
	if err != nil {
		return fmt.Errorf("sign in %s through the page (seed the demo data first: openimi seed --demo): %w", email, err)
	}
	if loc := resp.Header.Get("Location"); loc != next {
		return fmt.Errorf("load: signed in as %s, sent to %q rather than %q", email, loc, next)
	}
	return nil
}

// round loads the incoming box, then the page of one request it lists.
func (b *browser) round(ctx context.Context, turn Turn) error {
	if err := turn.Think(ctx); err != nil {
		return err
	}
	box, _, err := b.do(ctx, pageIncomingBox, http.MethodGet, "/requests?box=incoming", nil, http.StatusOK)
	if err != nil {
		return err
	}
	links := requestLink.FindAllStringSubmatch(box, -1)
	if len(links) == 0 {
		return errors.New("load: the incoming box lists no request")
	}
	if err := turn.Think(ctx); err != nil {
		return err
	}
	_, _, err = b.do(ctx, pageRequest, http.MethodGet, "/requests/"+links[turn.Seq%len(links)][1], nil, http.StatusOK)
	return err
}

// do loads one page, or posts a form to it, and records the client's and
// the server's time under page. The body is returned.
func (b *browser) do(ctx context.Context, page, method, path string, form url.Values, want int) (string, *http.Response, error) {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return "", nil, fmt.Errorf("%s: %w", page, err)
	}
	req.Header.Set("Accept", "text/html")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		// What a browser adds to a form posted from the site's own page.
		req.Header.Set("Origin", b.base)
		req.Header.Set("Sec-Fetch-Site", "same-origin")
	}
	started := time.Now()
	resp, err := b.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", nil, fmt.Errorf("%s: %w", page, ctx.Err())
		}
		b.client.Observe(page, 0, time.Since(started), false)
		return "", nil, fmt.Errorf("%s: %w", page, err)
	}
	data, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	took := time.Since(started)
	if err != nil {
		b.client.Observe(page, 0, took, false)
		return "", nil, fmt.Errorf("%s: read the page: %w", page, err)
	}
	ok := resp.StatusCode == want
	b.client.Observe(page, resp.StatusCode, took, ok)
	if d, told := serverTime(resp.Header.Get("Server-Timing")); told {
		b.server.Observe(page, resp.StatusCode, d, ok)
	}
	if !ok {
		return "", resp, &StatusError{Action: page, Status: resp.StatusCode, Body: truncate(string(data), 300)}
	}
	return string(data), resp, nil
}

// serverTime reads the "app" metric of a Server-Timing header, which the
// pages set to their handler's time in milliseconds.
func serverTime(header string) (time.Duration, bool) {
	for metric := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(metric), ";")
		if name != "app" {
			continue
		}
		for param := range strings.SplitSeq(params, ";") {
			if v, found := strings.CutPrefix(strings.TrimSpace(param), "dur="); found {
				ms, err := strconv.ParseFloat(v, 64)
				if err != nil || ms < 0 {
					return 0, false
				}
				return time.Duration(ms * float64(time.Millisecond)), true
			}
		}
	}
	return 0, false
}

// Write prints the report: both pages as the client saw them, then as the
// server timed them, against the goal.
func (r PagesReport) Write(w io.Writer) error {
	pace := "back to back"
	if r.Think > 0 {
		pace = fmt.Sprintf("thinking %s on average before each page", r.Think)
	}
	fmt.Fprintf(w, "pages: %d virtual officials signed in as %d demo handlers, %s, %d requests in their incoming boxes; %d rounds (incoming box + request page) completed, %d failed, in %s: %.1f pages/s\n",
		r.Concurrency, r.Officials, pace, r.Requests, r.Completed, r.Failed, r.Elapsed.Round(time.Millisecond), 2*r.PerSecond())
	if err := writeLatencies(w, "client", r.Client); err != nil {
		return err
	}
	if len(r.Server) == 0 {
		fmt.Fprintln(w, "server: not told (the pages sent no Server-Timing header); the client's time on loopback bounds it from above")
	} else if err := writeLatencies(w, "server", r.Server); err != nil {
		return err
	}
	for _, l := range r.Server {
		verdict := "met"
		if l.P95 >= PagesGoal {
			verdict = fmt.Sprintf("missed by %s ms", ms(l.P95-PagesGoal))
		}
		fmt.Fprintf(w, "goal %s: server p95 %s ms under %s ms: %s\n", l.Action, ms(l.P95), ms(PagesGoal), verdict)
	}
	writeFailures(w, r.Failures)
	return nil
}
