package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

// TemporalOptions say how to run Temporal's development server.
type TemporalOptions struct {
	// Binary is the Temporal CLI, built by `make tools`.
	Binary string
	// Port is the gRPC frontend's at 127.0.0.1; 0 picks a free one.
	Port       int
	PortEnvVar string
	// UIPort serves the Web UI; 0 runs the server headless.
	UIPort       int
	UIPortEnvVar string
	// DBFile keeps workflows between runs; empty keeps them in memory.
	DBFile    string
	Namespace string
	LogFile   string
}

// Temporal is a running development server.
type Temporal struct {
	proc *process
	// Address is the frontend's host:port.
	Address string
	// UIURL is empty when the server runs headless.
	UIURL string
}

// ErrNoTool is returned when a pinned tool has not been built yet.
var ErrNoTool = errors.New("tool not built")

func requireTool(path, name string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("%s: %w at %s: run `make tools` first", name, ErrNoTool, path)
	}
	return nil
}

// StartTemporal starts the server and waits until its frontend answers and
// the namespace exists.
func StartTemporal(ctx context.Context, logger *slog.Logger, opts TemporalOptions) (*Temporal, error) {
	if err := requireTool(opts.Binary, "Temporal CLI"); err != nil {
		return nil, err
	}
	port, err := claimPort("Temporal", opts.PortEnvVar, opts.Port)
	if err != nil {
		return nil, err
	}
	args := []string{"server", "start-dev",
		"--ip", "127.0.0.1",
		"--port", strconv.Itoa(port),
		"--log-level", "warn",
		"--color", "never",
		"--disable-config-file", "--disable-config-env",
		// One partition per task queue, as a single-node server needs: with
		// the default four, a task written to a partition no poller is
		// waiting on is forwarded, which halved the throughput at 20
		// officials (docs/BENCHMARKS.md). A dev database from before this
		// setting may hold tasks in partitions no longer read (README).
		"--dynamic-config-value", "matching.numTaskqueueReadPartitions=1",
		"--dynamic-config-value", "matching.numTaskqueueWritePartitions=1",
		// The server hands an activity to the worker that scheduled it in
		// its answer to the workflow task, instead of through a task queue:
		// half of an action's wait at one official. A production server
		// needs the same setting in its dynamic config.
		"--dynamic-config-value", "system.enableActivityEagerExecution=true",
		// The dev server has a single history shard, whose queues of
		// transfer tasks (a new workflow task after an activity, a new
		// workflow) and timers are read at most 20 times a second by
		// default: every action waited up to 50 ms for the next read, 35 ms
		// of its 50 at one official. A cluster spreads its workflows over
		// hundreds of shards, each read at that rate.
		"--dynamic-config-value", "history.transferProcessorMaxPollRPS=1000",
		"--dynamic-config-value", "history.timerProcessorMaxPollRPS=1000",
	}
	t := &Temporal{Address: net.JoinHostPort("127.0.0.1", strconv.Itoa(port))}
	if opts.UIPort == 0 {
		args = append(args, "--headless")
	} else {
		uiPort, err := claimPort("Temporal Web UI", opts.UIPortEnvVar, opts.UIPort)
		if err != nil {
			return nil, err
		}
		args = append(args, "--ui-port", strconv.Itoa(uiPort))
		t.UIURL = fmt.Sprintf("http://127.0.0.1:%d", uiPort)
	}
	if opts.DBFile != "" {
		if err := os.MkdirAll(filepath.Dir(opts.DBFile), 0o755); err != nil {
			return nil, fmt.Errorf("create folder for Temporal's database: %w", err)
		}
		// SQLite's defaults make the file-backed server about three times slower.
		args = append(args, "--db-filename", opts.DBFile,
			"--sqlite-pragma", "journal_mode=wal", "--sqlite-pragma", "synchronous=normal")
	}
	if opts.Namespace != "" && opts.Namespace != "default" {
		args = append(args, "--namespace", opts.Namespace)
	}
	cmd := exec.CommandContext(ctx, opts.Binary, args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	proc, err := startProcess("Temporal", cmd, syscall.SIGTERM, opts.LogFile)
	if err != nil {
		return nil, err
	}
	t.proc = proc
	namespace := opts.Namespace
	if namespace == "" {
		namespace = "default"
	}
	ready := func(ctx context.Context) error { return temporalReady(ctx, t.Address, namespace) }
	if err := proc.waitReady(ctx, 60*time.Second, ready); err != nil {
		_ = t.Stop(context.Background())
		return nil, err
	}
	attrs := []any{"address", t.Address}
	if t.UIURL != "" {
		attrs = append(attrs, "ui", t.UIURL)
	}
	if opts.DBFile != "" {
		attrs = append(attrs, "db", opts.DBFile)
	}
	logReady(logger, "Temporal", attrs...)
	return t, nil
}

func temporalReady(ctx context.Context, address, namespace string) error {
	c, err := client.DialContext(ctx, client.Options{
		HostPort:  address,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	return err
}

// Stop shuts the server down, waiting at most until ctx's deadline.
func (t *Temporal) Stop(ctx context.Context) error { return t.proc.stop(ctx) }

// Kill ends the server with SIGKILL, without a chance to clean up.
func (t *Temporal) Kill() error { return t.proc.kill() }

// Exited is closed when the server has ended.
func (t *Temporal) Exited() <-chan struct{} { return t.proc.Exited() }
