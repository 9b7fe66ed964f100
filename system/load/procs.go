package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// RSS is the resident memory of a process, from /proc: what the kernel
// holds in memory for it, the figure an operator sizing a machine wants.
func RSS(pid int) (int64, error) {
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, fmt.Errorf("resident memory of %d: %w", pid, err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("resident memory of %d: %q: %w", pid, rest, err)
			}
			return kb * 1024, nil
		}
	}
	return 0, fmt.Errorf("resident memory of %d: no VmRSS in /proc", pid)
}

// TemporalServerPID finds the Temporal dev server listening on the port of
// address among this machine's processes (`temporal server start-dev
// --port N`, as `openimi dev` and `openimi stack` start it); 0 when there
// is none, e.g. a server in a container.
func TemporalServerPID(address string) (int, error) {
	_, port, err := net.SplitHostPort(address)
	if err != nil {
		return 0, fmt.Errorf("temporal address %q: %w", address, err)
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, fmt.Errorf("list processes: %w", err)
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		raw, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue // gone meanwhile, or not ours to read
		}
		args := strings.Split(string(bytes.TrimRight(raw, "\x00")), "\x00")
		i := slices.Index(args, "--port")
		if slices.Contains(args, "start-dev") && i >= 0 && i+1 < len(args) && args[i+1] == port {
			return pid, nil
		}
	}
	return 0, nil
}

// childWorker is an `openimi worker` this process started and stops: the
// timers scenario needs to hold it back while deadlines come due.
type childWorker struct {
	cmd *exec.Cmd
	// done is closed once the process has exited, so that stopping twice
	// returns at once the second time.
	done chan struct{}
	// probe is the URL of its readiness.
	probe string
}

// startWorker starts `exe worker` with this process's environment (the
// same DATABASE_URL, TEMPORAL_ADDRESS and OPENIMI_DAY as the API's) and
// waits until it polls.
func startWorker(ctx context.Context, exe string, logs io.Writer) (*childWorker, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("a port for the worker's probes: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(exe, "worker")
	cmd.Env = append(os.Environ(), "WORKER_HTTP_ADDR="+addr, "LOG_LEVEL=warn")
	cmd.Stdout, cmd.Stderr = logs, logs
	// If this process dies, its worker goes with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s worker: %w", exe, err)
	}
	w := &childWorker{cmd: cmd, done: make(chan struct{}), probe: "http://" + addr}
	go func() {
		// Its exit status says nothing the run does not know: it was
		// stopped, or its readiness failed and says why.
		_ = cmd.Wait()
		close(w.done)
	}()
	probe, err := NewAPI(w.probe, 1, NewRecorder())
	if err == nil {
		err = probe.WaitReady(ctx, 60*time.Second)
		probe.Close()
	}
	if err != nil {
		_ = w.stop(30 * time.Second)
		return nil, fmt.Errorf("the worker did not become ready: %w", err)
	}
	return w, nil
}

func (w *childWorker) pid() int { return w.cmd.Process.Pid }

// stop asks the worker to drain and waits for it; after grace it is
// killed.
func (w *childWorker) stop(grace time.Duration) error {
	select {
	case <-w.done:
		return nil
	default:
	}
	if err := w.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop the worker: %w", err)
	}
	select {
	case <-w.done:
		return nil
	case <-time.After(grace):
		_ = w.cmd.Process.Kill()
		<-w.done
		return fmt.Errorf("the worker did not stop within %s and was killed", grace)
	}
}
