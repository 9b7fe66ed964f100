package main_test

import (
	"crypto/rand"
	"math/big"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/openimi/openimi/internal/devstack"
)

// devEnv points `openimi dev` at a data folder of its own and free ports,
// so that the test runs beside a developer's own `make dev`.
func devEnv(t *testing.T, dataDir string) (env []string, ports map[string]string) {
	t.Helper()
	tools, err := devstack.FindToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	ports = map[string]string{}
	for _, name := range []string{"OPENIMI_DEV_PG_PORT", "OPENIMI_DEV_TEMPORAL_PORT", "OPENIMI_DEV_TEMPORAL_UI_PORT", "OPENIMI_DEV_SMTP_PORT", "OPENIMI_DEV_MAILPIT_PORT"} {
		ports[name] = port(fixedAddr(t))
		env = append(env, name+"="+ports[name])
	}
	ports["HTTP_ADDR"] = fixedAddr(t)
	ports["METRICS_ADDR"] = fixedAddr(t)
	env = append(env,
		"HTTP_ADDR="+ports["HTTP_ADDR"],
		"METRICS_ADDR="+ports["METRICS_ADDR"],
		"OPENIMI_DATA_DIR="+dataDir,
		"OPENIMI_TOOLS_DIR="+tools,
		"LOG_FORMAT=json",
	)
	return env, ports
}

// sharedTempDir is a folder the postgres account can reach, unlike
// t.TempDir's, which is private to root.
func sharedTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "openimi-dev-test-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	return dir
}

func TestDev_RunsTheWholeSystemStopsCleanlyAndKeepsItsData(t *testing.T) {
	dataDir := sharedTempDir(t)
	env, ports := devEnv(t, dataDir)
	api := "http://" + ports["HTTP_ADDR"]

	first := start(t, env, "dev")
	waitFor(t, first, api+"/readyz", http.StatusOK).Body.Close()
	resp, err := http.Get("http://127.0.0.1:" + ports["OPENIMI_DEV_MAILPIT_PORT"] + "/api/v1/messages")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("Mailpit API: %v %v", resp, err)
	}
	resp.Body.Close()
	resp, err = http.Get("http://127.0.0.1:" + ports["OPENIMI_DEV_TEMPORAL_UI_PORT"])
	if err != nil {
		t.Fatalf("Temporal UI: %v", err)
	}
	resp.Body.Close()
	first.stop(t, syscall.SIGINT)

	for name, p := range ports {
		addr := p
		if !strings.Contains(addr, ":") {
			addr = "127.0.0.1:" + p
		}
		if conn, err := net.Dial("tcp", addr); err == nil {
			conn.Close()
			t.Errorf("%s (%s) still accepts connections after Ctrl-C: a child outlived dev", name, addr)
		}
	}
	out := first.Output()
	for _, want := range []string{"PostgreSQL ready", "Temporal ready", "Mailpit ready", "api listening", "worker polling", "helpdesk account created", "dev stack stopped"} {
		if !strings.Contains(out, want) {
			t.Errorf("first run's output lacks %q", want)
		}
	}

	second := start(t, env, "dev")
	waitFor(t, second, api+"/readyz", http.StatusOK).Body.Close()
	second.stop(t, syscall.SIGTERM)
	out = second.Output()
	if !strings.Contains(out, `"applied_now":0`) {
		t.Error("second run migrated again: the database was not kept")
	}
	if strings.Contains(out, "helpdesk account created") {
		t.Error("second run created the helpdesk account again: the database was not kept")
	}
}

func TestDev_APortAlreadyTakenIsAClearErrorNotAHang(t *testing.T) {
	env, ports := devEnv(t, sharedTempDir(t))
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	env = append(env, "OPENIMI_DEV_TEMPORAL_PORT="+port(taken.Addr().String()))

	proc := start(t, env, "dev")
	<-proc.done
	if proc.err == nil {
		t.Fatal("dev started although Temporal's port is taken")
	}
	out := proc.Output()
	if !strings.Contains(out, "OPENIMI_DEV_TEMPORAL_PORT") || !strings.Contains(out, "already in use") {
		t.Errorf("output does not say which port is taken and how to move it:\n%s", out)
	}
	// PostgreSQL started before the clash; it must not be left running.
	if !strings.Contains(out, "PostgreSQL ready") || !strings.Contains(out, "dev stack stopped") {
		t.Errorf("dev did not start PostgreSQL and then stop it:\n%s", out)
	}
	if conn, err := net.Dial("tcp", "127.0.0.1:"+ports["OPENIMI_DEV_PG_PORT"]); err == nil {
		conn.Close()
		t.Error("PostgreSQL still runs after dev gave up")
	}
}

// fixedAddr picks a free port below the kernel's ephemeral range. A port
// from that range, found free and released, could be handed to another test
// process's ephemeral listener before dev binds it; below it, only a port
// chosen on purpose can clash.
func fixedAddr(t *testing.T) string {
	t.Helper()
	for range 100 {
		n, err := rand.Int(rand.Reader, big.NewInt(10000))
		if err != nil {
			t.Fatal(err)
		}
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(20000+int(n.Int64())))
		if l, err := net.Listen("tcp", addr); err == nil {
			l.Close()
			return addr
		}
	}
	t.Fatal("no free port between 20000 and 30000")
	return ""
}
