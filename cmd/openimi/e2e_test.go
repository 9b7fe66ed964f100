package main_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"golang.org/x/crypto/bcrypt"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
	"github.com/openimi/openimi/workflows"
)

// binary is the openimi command built once for these tests: they run it as
// an operator would, as separate processes configured by environment.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "openimi-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "openimi")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build openimi:", err)
		os.Exit(1)
	}
	testenv.Main(m, func() { _ = os.RemoveAll(dir) })
}

// running is an openimi process under test.
type running struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	output bytes.Buffer
	done   chan struct{}
	err    error
}

func (r *running) Write(b []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.output.Write(b)
}

func (r *running) Output() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.output.String()
}

func start(t *testing.T, env []string, args ...string) *running {
	t.Helper()
	r := &running{cmd: exec.Command(binary, args...), done: make(chan struct{})}
	r.cmd.Env = append(cleanEnv(), env...)
	r.cmd.Stdout, r.cmd.Stderr = r, r
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.err = r.cmd.Wait(); close(r.done) }()
	t.Cleanup(func() {
		select {
		case <-r.done:
		default:
			_ = r.cmd.Process.Kill()
			<-r.done
		}
		if t.Failed() {
			t.Logf("output of openimi %s:\n%s", strings.Join(args, " "), r.Output())
		}
	})
	return r
}

// stop sends sig and expects a clean exit within the grace period.
func (r *running) stop(t *testing.T, sig syscall.Signal) {
	t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-r.done:
	case <-time.After(40 * time.Second):
		t.Fatalf("openimi %v did not stop within 40s of %v", r.cmd.Args[1:], sig)
	}
	if r.err != nil {
		t.Fatalf("openimi %v exited with %v after %v, want a clean exit", r.cmd.Args[1:], r.err, sig)
	}
}

// run runs a short-lived command to its end.
func run(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append(cleanEnv(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// cleanEnv keeps the stack's addresses out of the child's environment, so
// that each test says exactly what the process is pointed at.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "DATABASE_URL", "TEMPORAL_ADDRESS", "SMTP_URL", "MAILPIT_URL":
			continue
		}
		env = append(env, kv)
	}
	return env
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// waitFor polls url until it answers want, or fails the test.
func waitFor(t *testing.T, r *running, url string, want int) *http.Response {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			if resp.StatusCode == want {
				return resp
			}
			resp.Body.Close()
		}
		select {
		case <-r.done:
			t.Fatalf("openimi exited (%v) before %s answered %d", r.err, url, want)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %d within 60s (last: %v %v)", url, want, resp, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestAPIAndWorker_RunASystemCheckEndToEnd(t *testing.T) {
	ctx := context.Background()
	taskQueue := "e2e-" + rand.Text()[:10]
	apiAddr, workerAddr := freeAddr(t), freeAddr(t)
	mail := testenv.Mailpit(t)
	env := []string{
		"DATABASE_URL=" + testenv.EmptyDatabaseURL(t),
		"TEMPORAL_ADDRESS=" + testenv.TemporalAddress(t),
		"TEMPORAL_TASK_QUEUE=" + taskQueue,
		"SMTP_URL=" + mail.SMTPURL,
		"HTTP_ADDR=" + apiAddr,
		"WORKER_HTTP_ADDR=" + workerAddr,
		"METRICS_ADDR=" + freeAddr(t),
		"OPENIMI_BOOTSTRAP_EMAIL=helpdesk@e2e.example",
		"OPENIMI_BOOTSTRAP_PASSWORD=e2e-helpdesk-password",
		"LOG_FORMAT=json",
	}

	out, err := run(t, env, "migrate")
	if err != nil || strings.Contains(out, `"applied_now":0`) || !strings.Contains(out, `"reference data up to date"`) ||
		strings.Contains(out, `"rows_written":0`) {
		t.Fatalf("first migrate: %v, want migrations applied and reference data written:\n%s", err, out)
	}
	out, err = run(t, env, "migrate")
	if err != nil || !strings.Contains(out, `"applied_now":0`) || !strings.Contains(out, `"rows_written":0,"rows_retired":0`) {
		t.Fatalf("second migrate: %v, want nothing applied and the reference data untouched:\n%s", err, out)
	}

	apiProc := start(t, env, "api")
	workerProc := start(t, env, "worker")
	waitFor(t, apiProc, "http://"+apiAddr+"/readyz", http.StatusOK).Body.Close()
	waitFor(t, workerProc, "http://"+workerAddr+"/readyz", http.StatusOK).Body.Close()

	req, _ := http.NewRequest(http.MethodGet, "http://"+apiAddr+"/api/v1/openapi.json", nil)
	req.Header.Set("X-Request-ID", "e2e-trace-0001")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-ID") != "e2e-trace-0001" {
		t.Errorf("response request id %q, want the caller's", resp.Header.Get("X-Request-ID"))
	}

	resp, err = http.Get("http://" + apiAddr + "/api/v1/areas/services?lang=de")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Dienstleistungserbringer") {
		t.Errorf("GET /api/v1/areas/services?lang=de: %d %.200s, want the German question set", resp.StatusCode, body)
	}

	tc, err := client.Dial(client.Options{HostPort: testenv.TemporalAddress(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	runCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	wf, err := tc.ExecuteWorkflow(runCtx, client.StartWorkflowOptions{
		ID:        workflows.SystemCheckWorkflowID(taskQueue),
		TaskQueue: taskQueue,
	}, workflows.SystemCheckWorkflowName, workflows.SystemCheckInput{RequestedBy: "e2e test"})
	if err != nil {
		t.Fatalf("start system check: %v", err)
	}
	var result workflows.SystemCheckResult
	if err := wf.Get(runCtx, &result); err != nil {
		t.Fatalf("system check: %v", err)
	}
	if since := time.Since(result.DatabaseTime); since < 0 || since > time.Minute {
		t.Errorf("database clock %v is not now: the activity did not read it", result.DatabaseTime)
	}

	db, err := models.Open(ctx, env[0][len("DATABASE_URL="):], testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	defer models.Close(db)
	var helpdesk models.User
	if err := db.WithContext(ctx).Where("email = ?", "helpdesk@e2e.example").Take(&helpdesk).Error; err != nil {
		t.Fatalf("bootstrap helpdesk account: %v", err)
	}
	if err := bcrypt.CompareHashAndPassword([]byte(helpdesk.PasswordHash), []byte("e2e-helpdesk-password")); err != nil || !helpdesk.IsHelpdesk {
		t.Errorf("helpdesk account %+v does not hold the bootstrap password hashed (%v)", helpdesk, err)
	}

	apiProc.stop(t, syscall.SIGTERM)
	workerProc.stop(t, syscall.SIGINT)
	for _, want := range []string{`"request_id":"e2e-trace-0001"`, `"msg":"api shutting down"`} {
		if !strings.Contains(apiProc.Output(), want) {
			t.Errorf("api log lacks %s", want)
		}
	}
	if out := workerProc.Output(); !strings.Contains(out, "worker draining") || !strings.Contains(out, "Stopped Worker") {
		t.Errorf("worker log does not show it draining")
	}
	if strings.Contains(apiProc.Output(), "e2e-helpdesk-password") {
		t.Error("the api prints the bootstrap password")
	}
}

func TestConfig_BadValueStopsTheProgramWithOneClearLine(t *testing.T) {
	out, err := run(t, []string{"OPENIMI_DAY=soon"}, "api")
	if err == nil {
		t.Fatal("api started with OPENIMI_DAY=soon")
	}
	line := strings.TrimSpace(out)
	if strings.Count(line, "\n") != 0 || !strings.HasPrefix(line, "openimi: config:") || !strings.Contains(line, "OPENIMI_DAY") {
		t.Errorf("output %q: want one line naming OPENIMI_DAY", out)
	}
}
