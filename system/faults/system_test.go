package faults_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/openimi/openimi/internal/devstack"
)

// binary is the openimi command, built once for the suite: it runs as an
// operator runs it, as separate processes configured by environment.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "openimi-faults-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "openimi")
	build := exec.Command("go", "build", "-o", binary, "../../cmd/openimi")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build openimi:", err)
		_ = os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// mailDomain is the domain of MAIL_FROM, which every Message-ID carries.
const mailDomain = "openimi.localhost"

// relayConnections is how many mails the worker's dispatcher has in flight
// at most (SMTP_URL's pool): the bound of the mails a single
// fault can leave sent but not recorded.
const relayConnections = 4

// system is the whole of OpenIMI as separate processes on free ports, with
// the means to break each of them.
type system struct {
	t   *testing.T
	dir string
	log *slog.Logger

	pg           *devstack.Postgres
	pgOpts       devstack.PostgresOptions
	temporal     *devstack.Temporal
	temporalOpts devstack.TemporalOptions
	mailpit      *devstack.Mailpit
	mailpitOpts  devstack.MailpitOptions

	api, worker *service
	// apiURL is the API's base URL, the same across its restarts.
	apiURL string
	// db reads the read model and the outbox; the pool reconnects after
	// PostgreSQL's restart.
	db *pgxpool.Pool
}

// startSystem starts every component and process and seeds the demo
// directory. Every process ends with the test, failed or not.
func startSystem(t *testing.T) *system {
	t.Helper()
	tools, err := devstack.FindToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	// Not t.TempDir: the postgres account must reach the cluster's folder.
	dir, err := os.MkdirTemp("", "openimi-faults-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &system{t: t, dir: dir, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		for _, svc := range []*service{s.api, s.worker} {
			if svc != nil {
				svc.close()
			}
		}
		if s.db != nil {
			s.db.Close()
		}
		for _, stop := range []func(context.Context) error{s.stopMailpit, s.stopTemporal, s.stopPostgres} {
			if err := stop(ctx); err != nil {
				t.Logf("stop a component: %v", err)
			}
		}
		if t.Failed() {
			s.logTails()
		}
		_ = os.RemoveAll(dir)
	})

	s.pgOpts = devstack.PostgresOptions{DataDir: filepath.Join(dir, "pg"), Database: "openimi", Throwaway: true,
		LogFile: filepath.Join(dir, "postgres.log")}
	s.temporalOpts = devstack.TemporalOptions{Binary: filepath.Join(tools, "temporal"), Namespace: "default",
		DBFile: filepath.Join(dir, "temporal.db"), LogFile: filepath.Join(dir, "temporal.log")}
	s.mailpitOpts = devstack.MailpitOptions{Binary: filepath.Join(tools, "mailpit"),
		DBFile: filepath.Join(dir, "mailpit.db"), LogFile: filepath.Join(dir, "mailpit.log")}
	ctx := context.Background()
	var wg sync.WaitGroup
	var errPG, errTemporal, errMailpit error
	wg.Go(func() { errPG = s.startPostgres(ctx) })
	wg.Go(func() { errTemporal = s.startTemporal(ctx) })
	wg.Go(func() { errMailpit = s.startMailpit(ctx) })
	wg.Wait()
	if err := errors.Join(errPG, errTemporal, errMailpit); err != nil {
		t.Fatal(err)
	}
	// Restarts reuse the ports the first start picked: the application's
	// processes keep their addresses, as behind a service name.
	s.pgOpts.Port = s.pg.Port
	s.temporalOpts.Port = portOf(t, s.temporal.Address)
	s.mailpitOpts.SMTPPort = portOf(t, s.mailpit.SMTPURL)
	s.mailpitOpts.HTTPPort = portOf(t, s.mailpit.APIURL)

	if s.db, err = pgxpool.New(ctx, s.pg.URL); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"DATABASE_URL=" + s.pg.URL,
		"TEMPORAL_ADDRESS=" + s.temporal.Address,
		"TEMPORAL_NAMESPACE=default",
		"TEMPORAL_TASK_QUEUE=openimi",
		"SMTP_URL=" + s.mailpit.SMTPURL + "?pool=" + strconv.Itoa(relayConnections),
		"MAIL_FROM=OpenIMI <no-reply@" + mailDomain + ">",
		"LOG_FORMAT=json",
		"LOG_LEVEL=warn",
		"SHUTDOWN_TIMEOUT=5s",
	}
	seed := exec.Command(binary, "seed", "--demo", "--authorities", "60")
	seed.Env = env
	if out, err := seed.CombinedOutput(); err != nil {
		t.Fatalf("openimi seed --demo: %v\n%s", err, out)
	}
	apiAddr, workerAddr := freeAddr(t), freeAddr(t)
	s.apiURL = "http://" + apiAddr
	s.api = &service{name: "api", args: []string{"api"}, probe: "http://" + apiAddr + "/readyz",
		env: append(slices.Clip(env), "HTTP_ADDR="+apiAddr, "METRICS_ADDR="+freeAddr(t), "PUBLIC_URL=http://"+apiAddr), logPath: filepath.Join(dir, "api.log")}
	s.worker = &service{name: "worker", args: []string{"worker"}, probe: "http://" + workerAddr + "/readyz",
		env: append(slices.Clip(env), "WORKER_HTTP_ADDR="+workerAddr, "PUBLIC_URL=http://"+apiAddr), logPath: filepath.Join(dir, "worker.log")}
	for _, svc := range []*service{s.api, s.worker} {
		if err := svc.restart(); err != nil {
			t.Fatal(err)
		}
		if err := svc.waitReady(ctx, 60*time.Second); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

func (s *system) startPostgres(ctx context.Context) (err error) {
	s.pg, err = devstack.StartPostgres(ctx, s.log, s.pgOpts)
	return err
}

func (s *system) startTemporal(ctx context.Context) (err error) {
	s.temporal, err = devstack.StartTemporal(ctx, s.log, s.temporalOpts)
	return err
}

func (s *system) startMailpit(ctx context.Context) (err error) {
	s.mailpit, err = devstack.StartMailpit(ctx, s.log, s.mailpitOpts)
	return err
}

func (s *system) stopPostgres(ctx context.Context) error {
	if s.pg == nil {
		return nil
	}
	return s.pg.Stop(ctx)
}

func (s *system) stopTemporal(ctx context.Context) error {
	if s.temporal == nil {
		return nil
	}
	return s.temporal.Stop(ctx)
}

func (s *system) stopMailpit(ctx context.Context) error {
	if s.mailpit == nil {
		return nil
	}
	return s.mailpit.Stop(ctx)
}

// keepUp restarts the API and the worker when they end on their own (the
// API exits when it cannot reach Temporal at start, by design), as an
// orchestrator with a restart policy does, until ctx ends. A service
// killed on purpose is left down until the fault's schedule restarts it.
// Restarts are a second apart, as an orchestrator spaces them.
func (s *system) keepUp(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, svc := range []*service{s.api, s.worker} {
			svc.restartIfExited(s.t)
		}
	}
}

// logTails shows the end of every process's output, to explain a failure.
func (s *system) logTails() {
	for _, name := range []string{"api", "worker", "postgres", "temporal", "mailpit"} {
		b, err := os.ReadFile(filepath.Join(s.dir, name+".log"))
		if err != nil {
			continue
		}
		if len(b) > 6000 {
			b = b[len(b)-6000:]
		}
		s.t.Logf("last output of %s:\n%s", name, b)
	}
}

// service is an `openimi api` or `openimi worker` process, restarted as an
// orchestrator would.
type service struct {
	name    string
	args    []string
	env     []string
	probe   string
	logPath string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	// held is set while the service is down on purpose.
	held bool
	// closed is set once the test ends.
	closed bool
	// exits counts the ends the service came to on its own.
	exits int
}

// restart starts the process (again) and lets it be kept up.
func (svc *service) restart() error {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	svc.held = false
	return svc.startLocked()
}

func (svc *service) startLocked() error {
	if svc.closed {
		return errors.New(svc.name + ": the test has ended")
	}
	if svc.done != nil {
		select {
		case <-svc.done:
		default:
			return nil // running
		}
	}
	f, err := os.OpenFile(svc.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s log: %w", svc.name, err)
	}
	cmd := exec.Command(binary, svc.args...)
	cmd.Env = svc.env
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so that a kill takes all of it; SIGKILL if the
	// test process dies without cleaning up.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return fmt.Errorf("start openimi %s: %w", svc.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = f.Close()
		close(done)
	}()
	svc.cmd, svc.done = cmd, done
	return nil
}

// restartIfExited starts the process again when it ended on its own.
func (svc *service) restartIfExited(t *testing.T) {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	if svc.held || svc.closed || svc.done == nil {
		return
	}
	select {
	case <-svc.done:
	default:
		return
	}
	svc.exits++
	t.Logf("openimi %s ended on its own (%v: %s); restarting it", svc.name, svc.cmd.ProcessState, lastLine(svc.logPath))
	if err := svc.startLocked(); err != nil {
		t.Logf("restart %s: %v", svc.name, err)
	}
}

// lastLine is the last line a process wrote, which says why it ended.
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	last := lines[len(lines)-1]
	if len(last) > 300 {
		last = last[:300] + "…"
	}
	return last
}

// kill ends the process with SIGKILL, as a crash would, and holds it down.
func (svc *service) kill() {
	svc.mu.Lock()
	svc.held = true
	cmd, done := svc.cmd, svc.done
	svc.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	<-done
}

// close stops the process for good: SIGTERM, then SIGKILL after a grace.
func (svc *service) close() {
	svc.mu.Lock()
	svc.closed = true
	cmd, done := svc.cmd, svc.done
	svc.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func (svc *service) exitCount() int {
	svc.mu.Lock()
	defer svc.mu.Unlock()
	return svc.exits
}

// waitReady waits until the readiness probe answers 200.
func (svc *service) waitReady(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, svc.probe, nil)
		if err != nil {
			return err
		}
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("readyz: %s", resp.Status)
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("openimi %s not ready after %s: %v", svc.name, timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
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

// portOf reads the port of a host:port or a URL.
func portOf(t *testing.T, addr string) int {
	t.Helper()
	if u, err := url.Parse(addr); err == nil && u.Port() != "" {
		addr = u.Host
	}
	_, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("port of %s: %v", addr, err)
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatalf("port of %s: %v", addr, err)
	}
	return n
}
