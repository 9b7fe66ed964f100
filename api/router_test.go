package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/sdk/client"

	"github.com/openimi/openimi/api"
	"github.com/openimi/openimi/internal/observability"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	testenv.Main(m)
}

func newRouter(t *testing.T, checks map[string]api.ReadinessCheck) (*gin.Engine, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	r, err := api.NewRouter(api.Deps{Logger: slog.New(slog.DiscardHandler), Registry: reg, Readiness: checks})
	if err != nil {
		t.Fatal(err)
	}
	return r, reg
}

func do(h http.Handler, method, path string, header http.Header, body io.Reader) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, body)
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeError(t *testing.T, rec *httptest.ResponseRecorder) api.ErrorDetail {
	t.Helper()
	var body api.ErrorBody
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatalf("body %q is not the error shape: %v", rec.Body.String(), err)
	}
	if body.Error.Code == "" || body.Error.Message == "" {
		t.Fatalf("error shape lacks code or message: %s", rec.Body.String())
	}
	return body.Error
}

func TestRouter_UnknownRouteIs404InTheErrorShape(t *testing.T) {
	r, _ := newRouter(t, nil)
	rec := do(r, http.MethodGet, "/api/v1/no-such-thing", nil, nil)
	if rec.Code != http.StatusNotFound {
		t.Fatalf("status %d, want 404", rec.Code)
	}
	if e := decodeError(t, rec); e.Code != "not_found" || !strings.Contains(e.Message, "/api/v1/no-such-thing") {
		t.Errorf("error %+v does not name the path", e)
	}
}

func TestRouter_WrongMethodIs405InTheErrorShape(t *testing.T) {
	r, _ := newRouter(t, nil)
	rec := do(r, http.MethodDelete, "/healthz", nil, nil)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("status %d, want 405", rec.Code)
	}
	if e := decodeError(t, rec); e.Code != "method_not_allowed" {
		t.Errorf("code %q, want method_not_allowed", e.Code)
	}
	if allow := rec.Header().Get("Allow"); !strings.Contains(allow, "GET") {
		t.Errorf("Allow header %q does not list GET", allow)
	}
}

func TestRouter_OversizedBodyIs413InTheErrorShape(t *testing.T) {
	r, _ := newRouter(t, nil)
	rec := do(r, http.MethodPost, "/healthz", nil, strings.NewReader(strings.Repeat("x", 2<<20)))
	if rec.Code != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413", rec.Code)
	}
	if e := decodeError(t, rec); e.Code != "body_too_large" {
		t.Errorf("code %q, want body_too_large", e.Code)
	}
}

func TestRouter_KeepsACallersRequestIDAndAssignsOneOtherwise(t *testing.T) {
	r, _ := newRouter(t, nil)
	rec := do(r, http.MethodGet, "/healthz", http.Header{api.RequestIDHeader: {"caller-chosen-id-42"}}, nil)
	if got := rec.Header().Get(api.RequestIDHeader); got != "caller-chosen-id-42" {
		t.Errorf("request id %q, want the caller's", got)
	}
	first := do(r, http.MethodGet, "/healthz", http.Header{api.RequestIDHeader: {"bad id with spaces\n"}}, nil).Header().Get(api.RequestIDHeader)
	second := do(r, http.MethodGet, "/healthz", nil, nil).Header().Get(api.RequestIDHeader)
	uuidLike := regexp.MustCompile(`^[0-9a-f-]{36}$`)
	if !uuidLike.MatchString(first) || !uuidLike.MatchString(second) || first == second {
		t.Errorf("assigned ids %q and %q: want two distinct fresh ids", first, second)
	}
}

func TestRouter_PanicIs500InTheErrorShapeWithoutTheStack(t *testing.T) {
	r, _ := newRouter(t, nil)
	r.GET("/boom", func(*gin.Context) { panic("secret internal detail") })
	rec := do(r, http.MethodGet, "/boom", nil, nil)
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", rec.Code)
	}
	if e := decodeError(t, rec); e.Code != "internal" {
		t.Errorf("code %q, want internal", e.Code)
	}
	if strings.Contains(rec.Body.String(), "secret internal detail") {
		t.Errorf("the panic's value leaks to the caller: %s", rec.Body.String())
	}
}

// TestReadyz_FailsWhenTheDatabaseGoesDown runs the checks the api process
// uses against a real database and a real Temporal server.
func TestReadyz_FailsWhenTheDatabaseGoesDown(t *testing.T) {
	ctx := context.Background()
	dbURL := testenv.DatabaseURL(t)
	db, err := models.Open(ctx, dbURL, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	store := models.NewStore(db)
	tc, err := client.Dial(client.Options{HostPort: testenv.TemporalAddress(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	r, _ := newRouter(t, map[string]api.ReadinessCheck{
		"database": store.Ping,
		"temporal": func(ctx context.Context) error {
			_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
	})

	rec := do(r, http.MethodGet, "/readyz", nil, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("with everything up: status %d (%s), want 200", rec.Code, rec.Body.String())
	}

	// The database disappears under the open pool, as when its server dies.
	dropDatabase(t, dbURL)

	rec = do(r, http.MethodGet, "/readyz", nil, nil)
	if rec.Code != http.StatusServiceUnavailable {
		t.Fatalf("with the database gone: status %d (%s), want 503", rec.Code, rec.Body.String())
	}
	e := decodeError(t, rec)
	details, _ := e.Details.(map[string]any)
	if details["database"] == "ok" || details["database"] == nil {
		t.Errorf("details %v do not report the database check failing", e.Details)
	}
	if details["temporal"] != "ok" {
		t.Errorf("details %v: Temporal is up and should say ok", e.Details)
	}
}

func dropDatabase(t *testing.T, dbURL string) {
	t.Helper()
	ctx := context.Background()
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
		t.Fatal(err)
	}
}

func TestMetrics_ReportHTTPLatencyByRouteAndTemporalClientCalls(t *testing.T) {
	metrics, err := observability.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	tc, err := client.Dial(client.Options{HostPort: testenv.TemporalAddress(t), MetricsHandler: metrics.Temporal})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	if _, err := tc.CheckHealth(context.Background(), &client.CheckHealthRequest{}); err != nil {
		t.Fatal(err)
	}
	if err := metrics.Close(); err != nil { // flushes the Temporal scope
		t.Fatal(err)
	}
	r, err := api.NewRouter(api.Deps{Logger: slog.New(slog.DiscardHandler), Registry: metrics.Registry})
	if err != nil {
		t.Fatal(err)
	}
	do(r, http.MethodGet, "/healthz", nil, nil)
	do(r, http.MethodGet, "/api/v1/nothing-here/123", nil, nil)

	probes := api.NewProbeRouter(api.Deps{Logger: slog.New(slog.DiscardHandler), Registry: metrics.Registry})
	body := do(probes, http.MethodGet, "/metrics", nil, nil).Body.String()
	for _, want := range []string{
		`openimi_http_request_duration_seconds_count{method="GET",route="/healthz",status="200"} 1`,
		`openimi_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1`,
		`temporal_request`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if rec := do(r, http.MethodGet, "/metrics", nil, nil); rec.Code != http.StatusNotFound {
		t.Errorf("the API's port serves /metrics: %d", rec.Code)
	}
}

func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPIDocument())
	if err != nil {
		t.Fatalf("load OpenAPI document: %v", err)
	}
	return doc
}

func TestOpenAPI_DocumentIsValidAndServed(t *testing.T) {
	doc := loadOpenAPI(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("OpenAPI document is invalid: %v", err)
	}
	r, _ := newRouter(t, nil)
	rec := do(r, http.MethodGet, "/api/v1/openapi.json", nil, nil)
	if rec.Code != http.StatusOK || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("GET /api/v1/openapi.json: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
	if rec.Body.String() != string(api.OpenAPIDocument()) {
		t.Error("the served document differs from the embedded one")
	}
}

// TestOpenAPI_DocumentPassesTheStrictLint is the document's lint (run by
// make lint as well as make test): kin-openapi's validation with every
// optional check on, and the house rules a reader of the document relies
// on.
func TestOpenAPI_DocumentPassesTheStrictLint(t *testing.T) {
	doc := loadOpenAPI(t)
	if err := doc.Validate(context.Background(),
		openapi3.EnableExamplesValidation(),
		openapi3.EnableSchemaDefaultsValidation(),
		openapi3.EnableSchemaFormatValidation(),
		openapi3.EnableSchemaPatternValidation(),
	); err != nil {
		t.Fatalf("OpenAPI document fails the strict validation: %v", err)
	}
	if len(doc.Security) == 0 {
		t.Error("the document has no default security: an operation that forgets its own would read as public")
	}
	ids := map[string]string{}
	var errs []error
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			name := method + " " + path
			switch {
			case op.OperationID == "":
				errs = append(errs, fmt.Errorf("%s has no operationId", name))
			case ids[op.OperationID] != "":
				errs = append(errs, fmt.Errorf("%s and %s share the operationId %s", name, ids[op.OperationID], op.OperationID))
			default:
				ids[op.OperationID] = name
			}
			if op.Summary == "" {
				errs = append(errs, fmt.Errorf("%s has no summary", name))
			}
			if op.Security == nil {
				errs = append(errs, fmt.Errorf("%s says nothing of security: `security: []` for a public operation, the bearer scheme otherwise", name))
			}
			public := op.Security != nil && len(*op.Security) == 0
			if !public && op.Responses.Status(http.StatusUnauthorized) == nil {
				errs = append(errs, fmt.Errorf("%s needs a token but documents no 401", name))
			}
			if strings.Contains(path, "{") && op.Responses.Status(http.StatusNotFound) == nil && !public {
				errs = append(errs, fmt.Errorf("%s names a resource but documents no 404", name))
			}
			if op.RequestBody != nil && op.Responses.Status(http.StatusBadRequest) == nil {
				errs = append(errs, fmt.Errorf("%s takes a body but documents no 400", name))
			}
			for status, resp := range op.Responses.Map() {
				if resp.Value == nil || resp.Value.Description == nil || *resp.Value.Description == "" {
					errs = append(errs, fmt.Errorf("%s: response %s has no description", name, status))
				}
				if status != "default" && status >= "400" {
					if mt := resp.Value.Content.Get("application/json"); mt == nil || mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Error" {
						errs = append(errs, fmt.Errorf("%s: error response %s is not the Error shape", name, status))
					}
				}
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Error(err)
	}
}

// TestOpenAPI_SecurityOfEachOperationIsWhatTheRouterDoes: an operation
// the document says needs a token answers 401 without one; one it says is
// public does not.
func TestOpenAPI_SecurityOfEachOperationIsWhatTheRouterDoes(t *testing.T) {
	doc := loadOpenAPI(t)
	r, _ := newRouter(t, nil)
	for _, path := range doc.Paths.InMatchingOrder() {
		for method, op := range doc.Paths.Value(path).Operations() {
			security := doc.Security
			if op.Security != nil {
				security = *op.Security
			}
			if len(security) == 0 {
				continue // public: calling it here would need a database
			}
			target := strings.NewReplacer("{id}", "6b1d3a4e-8f55-4f7e-9a51-0c2f1f5d9e01", "{user_id}", "6b1d3a4e-8f55-4f7e-9a51-0c2f1f5d9e02",
				"{attachment_id}", "6b1d3a4e-8f55-4f7e-9a51-0c2f1f5d9e03", "{code}", "services").Replace(path)
			rec := do(r, method, target, nil, strings.NewReader("{}"))
			if rec.Code != http.StatusUnauthorized {
				t.Errorf("%s %s needs a token by the document, yet answers %d without one", method, path, rec.Code)
			}
		}
	}
}

// ginParam turns Gin's ":id" and "*path" segments into OpenAPI's "{id}".
var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

func TestOpenAPI_EveryRouteIsDocumentedAndEveryDocumentedRouteIsServed(t *testing.T) {
	r, _ := newRouter(t, nil)
	served := map[string]bool{}
	for _, route := range r.Routes() {
		served[route.Method+" "+ginParam.ReplaceAllString(route.Path, "{$1}")] = true
	}
	documented := map[string]bool{}
	for path, item := range loadOpenAPI(t).Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+path] = true
		}
	}
	var errs []error
	for _, op := range sortedKeys(served) {
		if !documented[op] {
			errs = append(errs, errors.New("served but not documented: "+op))
		}
	}
	for _, op := range sortedKeys(documented) {
		if !served[op] {
			errs = append(errs, errors.New("documented but not served: "+op))
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Error(err)
	}
	if len(served) == 0 || !slices.Contains(sortedKeys(served), "GET /readyz") {
		t.Fatalf("the router serves no routes: %v", served)
	}
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
