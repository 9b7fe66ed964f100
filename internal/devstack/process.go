package devstack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// process is a child program that must outlive nothing: it is stopped with
// its parent, and its recent output is kept to explain a failure.
type process struct {
	name     string
	cmd      *exec.Cmd
	stopSig  syscall.Signal
	output   *tailBuffer
	exited   chan struct{}
	waitErr  error
	stopOnce sync.Once
}

// startProcess runs cmd with its output going to logFile (when set) and to a
// buffer of its last lines.
func startProcess(name string, cmd *exec.Cmd, stopSig syscall.Signal, logFile string) (*process, error) {
	tail := &tailBuffer{limit: 8 << 10}
	var out io.Writer = tail
	var file *os.File
	if logFile != "" {
		f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return nil, fmt.Errorf("open %s log: %w", name, err)
		}
		file = f
		out = io.MultiWriter(f, tail)
	}
	cmd.Stdout = out
	cmd.Stderr = out
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	// Its own process group keeps a terminal's Ctrl-C away from the child, so
	// the parent stops the components in order; Pdeathsig ends the child if
	// the parent dies without doing so.
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGTERM
	if err := cmd.Start(); err != nil {
		if file != nil {
			_ = file.Close()
		}
		return nil, fmt.Errorf("start %s (%s): %w", name, cmd.Path, err)
	}
	p := &process{name: name, cmd: cmd, stopSig: stopSig, output: tail, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		if file != nil {
			_ = file.Close()
		}
		close(p.exited)
	}()
	return p, nil
}

// Exited is closed when the process has ended.
func (p *process) Exited() <-chan struct{} { return p.exited }

// exitError describes why the process ended, with its last output.
func (p *process) exitError() error {
	return fmt.Errorf("%s exited (%v); its last output:\n%s", p.name, p.waitErr, p.output.String())
}

// stop asks the process to end and kills it when it has not by the
// context's deadline.
func (p *process) stop(ctx context.Context) error {
	p.stopOnce.Do(func() {
		_ = p.cmd.Process.Signal(p.stopSig)
	})
	select {
	case <-p.exited:
		return nil
	case <-ctx.Done():
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop in time and was killed: %w", p.name, ctx.Err())
	}
}

// kill ends the process and its group at once with SIGKILL, as a crash or
// the kernel's OOM killer would, and waits for its end: the fault tests use
// it to prove that nothing depends on a clean shutdown.
func (p *process) kill() error {
	select {
	case <-p.exited:
		return nil
	default:
	}
	// The child leads its own process group (Setpgid), so its own children
	// go with it.
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("kill %s: %w", p.name, err)
	}
	<-p.exited
	return nil
}

// waitReady polls check until it succeeds, the process exits, or the
// timeout passes.
func (p *process) waitReady(ctx context.Context, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var lastErr error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		lastErr = check(attempt)
		cancelAttempt()
		if lastErr == nil {
			return nil
		}
		select {
		case <-p.exited:
			return p.exitError()
		case <-ctx.Done():
			return fmt.Errorf("%s not ready after %v (last check: %v); its last output:\n%s", p.name, timeout, lastErr, p.output.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// tailBuffer keeps the last limit bytes written to it.
type tailBuffer struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	limit int
}

func (t *tailBuffer) Write(b []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(b)
	if extra := t.buf.Len() - t.limit; extra > 0 {
		t.buf.Next(extra)
	}
	return len(b), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.buf.String()
}

// ErrPortInUse is returned when a fixed port of the stack is taken.
var ErrPortInUse = errors.New("port already in use")

// claimPort checks that a fixed port is free, or picks a free one when port
// is 0. The check cannot reserve the port for the child, but it turns the
// common case, a second stack already running, into a clear error instead of
// a child that hangs or dies with a buried message.
func claimPort(component, envVar string, port int) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
	if err != nil {
		return 0, fmt.Errorf("%s: 127.0.0.1:%d: %w: stop what listens there or set %s to another port", component, port, ErrPortInUse, envVar)
	}
	free := l.Addr().(*net.TCPAddr).Port
	if err := l.Close(); err != nil {
		return 0, fmt.Errorf("%s: release probe of port %d: %w", component, free, err)
	}
	return free, nil
}

func logReady(logger *slog.Logger, component string, attrs ...any) {
	logger.Info(component+" ready", attrs...)
}
