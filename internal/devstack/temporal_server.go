package devstack

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/template"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	"google.golang.org/protobuf/types/known/durationpb"
)

// TemporalServerOptions say how to run the Temporal server itself, the
// topology operators deploy, on a PostgreSQL cluster.
type TemporalServerOptions struct {
	// Binary is the server and SchemaTool its temporal-sql-tool, both built
	// by `make cluster-tools`.
	Binary     string
	SchemaTool string
	// PostgresURL reaches the cluster as a user who may create databases;
	// its database part is ignored.
	PostgresURL string
	// Database and VisibilityDatabase are created and given Temporal's
	// schemas when absent ("temporal" and "temporal_visibility" if empty).
	Database           string
	VisibilityDatabase string
	// DynamicConfig is the file compose mounts (deploy/temporal/dynamicconfig.yaml).
	DynamicConfig string
	// Dir holds the rendered configuration; when empty, a temporary folder
	// that Stop removes.
	Dir       string
	Namespace string
	LogFile   string
}

// TemporalServer is a running Temporal server on PostgreSQL. Its ports stay
// the same across Kill and Start, as a restarted pod keeps its address.
type TemporalServer struct {
	opts       TemporalServerOptions
	proc       *process
	configFile string
	// tempDir is removed by Stop when the server made it.
	tempDir string
	// Address is the frontend's host:port.
	Address string
}

// StartTemporalServer sets up the schemas, renders the configuration,
// starts the server and waits until the namespace serves workflows.
func StartTemporalServer(ctx context.Context, logger *slog.Logger, opts TemporalServerOptions) (*TemporalServer, error) {
	if err := requireTool(opts.Binary, "Temporal server"); err != nil {
		return nil, err
	}
	if err := requireTool(opts.SchemaTool, "temporal-sql-tool"); err != nil {
		return nil, err
	}
	if opts.Database == "" {
		opts.Database = "temporal"
	}
	if opts.VisibilityDatabase == "" {
		opts.VisibilityDatabase = "temporal_visibility"
	}
	if opts.Namespace == "" {
		opts.Namespace = "default"
	}
	pg, err := url.Parse(opts.PostgresURL)
	if err != nil {
		return nil, fmt.Errorf("Temporal server: PostgreSQL URL: %w", err)
	}
	for db, schema := range map[string]string{
		opts.Database:           "postgresql/v12/temporal",
		opts.VisibilityDatabase: "postgresql/v12/visibility",
	} {
		if err := setupTemporalSchema(ctx, opts.SchemaTool, pg, db, schema); err != nil {
			return nil, err
		}
	}
	t := &TemporalServer{opts: opts}
	if opts.Dir == "" {
		if opts.Dir, err = os.MkdirTemp("", "openimi-temporal-"); err != nil {
			return nil, fmt.Errorf("Temporal server: folder for its configuration: %w", err)
		}
		t.tempDir = opts.Dir
	}
	t.configFile = filepath.Join(opts.Dir, "temporal-server.yaml")
	if err := t.renderConfig(pg); err != nil {
		t.removeTemp()
		return nil, err
	}
	if err := t.Start(ctx); err != nil {
		return nil, err
	}
	if err := registerNamespace(ctx, t.Address, opts.Namespace); err != nil {
		_ = t.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	ready := func(ctx context.Context) error { return temporalServing(ctx, t.Address, opts.Namespace) }
	if err := t.proc.waitReady(ctx, 60*time.Second, ready); err != nil {
		_ = t.Stop(context.WithoutCancel(ctx))
		return nil, err
	}
	logReady(logger, "Temporal server", "address", t.Address, "database", opts.Database, "namespace", opts.Namespace)
	return t, nil
}

// Start runs the server on the rendered configuration and waits until its
// frontend answers; after Kill it is the restart.
func (t *TemporalServer) Start(ctx context.Context) error {
	// The server's process must not end with the context of the test or
	// command that asked for it: Stop and Kill end it.
	cmd := exec.Command(t.opts.Binary, "--config-file", t.configFile, "--allow-no-auth", "start")
	proc, err := startProcess("Temporal server", cmd, syscall.SIGTERM, t.opts.LogFile)
	if err != nil {
		return err
	}
	t.proc = proc
	ready := func(ctx context.Context) error { return temporalHealthy(ctx, t.Address) }
	if err := proc.waitReady(ctx, 90*time.Second, ready); err != nil {
		_ = t.Stop(context.WithoutCancel(ctx))
		return err
	}
	return nil
}

// Kill ends the server with SIGKILL, as a crashed node, and waits until it
// has gone.
func (t *TemporalServer) Kill() error {
	if err := t.proc.cmd.Process.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill the Temporal server: %w", err)
	}
	<-t.proc.Exited()
	return nil
}

// Stop shuts the server down, waiting at most until ctx's deadline.
func (t *TemporalServer) Stop(ctx context.Context) error {
	err := t.proc.stop(ctx)
	t.removeTemp()
	return err
}

func (t *TemporalServer) removeTemp() {
	if t.tempDir != "" {
		_ = os.RemoveAll(t.tempDir)
	}
}

// FindRepoFile returns the path of a file of this repository, found from
// the working folder upwards, as FindToolsDir finds bin/.
func FindRepoFile(rel string) (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find %s: %w", rel, err)
	}
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, rel), nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("find %s: no go.mod above %s", rel, wd)
		}
	}
}

// Exited is closed when the server has ended.
func (t *TemporalServer) Exited() <-chan struct{} { return t.proc.Exited() }

// PID is the server's process, for measuring its CPU.
func (t *TemporalServer) PID() int { return t.proc.cmd.Process.Pid }

// setupTemporalSchema creates the database when absent and brings its
// schema to the newest version embedded in the schema tool, as the
// admin-tools job of docker-compose.yml does.
func setupTemporalSchema(ctx context.Context, tool string, pg *url.URL, database, schema string) error {
	admin := *pg
	admin.Path = "/postgres"
	created, err := createDatabase(ctx, admin.String(), database)
	if err != nil {
		return err
	}
	password, _ := pg.User.Password()
	base := []string{
		"--plugin", "postgres12",
		"--endpoint", pg.Hostname(), "--port", pg.Port(),
		"--user", pg.User.Username(), "--password", password,
		"--database", database,
	}
	run := func(args ...string) error {
		cmd := exec.CommandContext(ctx, tool, append(base, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("temporal-sql-tool %s on %s: %w\n%s", args[0], database, err, out)
		}
		return nil
	}
	if created {
		if err := run("setup-schema", "--version", "0.0"); err != nil {
			return err
		}
	}
	return run("update-schema", "--schema-name", schema)
}

// createDatabase creates the database unless it exists, reporting which.
func createDatabase(ctx context.Context, adminURL, name string) (bool, error) {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return false, fmt.Errorf("connect to create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return false, fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return false, nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return false, fmt.Errorf("create database %s: %w", name, err)
	}
	return true, nil
}

// serverConfig is a single-process server with every service, its ports
// free ones at 127.0.0.1, persistence and visibility on PostgreSQL.
var serverConfig = template.Must(template.New("temporal-server.yaml").Parse(`# Rendered by internal/devstack for one throw-away server.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  # A cluster spreads workflows over many shards, each with its own task
  # queues read at most history.transferProcessorMaxPollRPS times a second.
  numHistoryShards: 64
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: {{.Database}}
        connectAddr: "{{.PostgresAddr}}"
        connectProtocol: tcp
        user: "{{.User}}"
        password: "{{.Password}}"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: {{.VisibilityDatabase}}
        connectAddr: "{{.PostgresAddr}}"
        connectProtocol: tcp
        user: "{{.User}}"
        password: "{{.Password}}"
        maxConns: 5
        maxIdleConns: 5
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
    rpc: {grpcPort: {{index .Ports 0}}, membershipPort: {{index .Ports 1}}, httpPort: {{index .Ports 2}}, bindOnIP: 127.0.0.1}
  history:
    rpc: {grpcPort: {{index .Ports 3}}, membershipPort: {{index .Ports 4}}, bindOnIP: 127.0.0.1}
  matching:
    rpc: {grpcPort: {{index .Ports 5}}, membershipPort: {{index .Ports 6}}, bindOnIP: 127.0.0.1}
  worker:
    rpc: {grpcPort: {{index .Ports 7}}, membershipPort: {{index .Ports 8}}, bindOnIP: 127.0.0.1}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{index .Ports 0}}"
      httpAddress: "127.0.0.1:{{index .Ports 2}}"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "{{.DynamicConfig}}"
  pollInterval: 10s
`))

func (t *TemporalServer) renderConfig(pg *url.URL) error {
	dyn, err := filepath.Abs(t.opts.DynamicConfig)
	if err != nil {
		return fmt.Errorf("Temporal server: dynamic config: %w", err)
	}
	if _, err := os.Stat(dyn); err != nil {
		return fmt.Errorf("Temporal server: dynamic config: %w", err)
	}
	ports := make([]int, 9)
	for i := range ports {
		if i == 1 || i == 4 || i == 6 || i == 8 {
			// Membership ports are stored as smallint (cluster_membership
			// table): below the kernel's free ports, which start at 32768.
			ports[i], err = freeMembershipPort()
		} else {
			ports[i], err = claimPort("Temporal server", "", 0)
		}
		if err != nil {
			return err
		}
	}
	password, _ := pg.User.Password()
	var b strings.Builder
	err = serverConfig.Execute(&b, map[string]any{
		"Database": t.opts.Database, "VisibilityDatabase": t.opts.VisibilityDatabase,
		"PostgresAddr": pg.Host, "User": pg.User.Username(), "Password": password,
		"Ports": ports, "DynamicConfig": dyn,
	})
	if err != nil {
		return fmt.Errorf("render the Temporal server's configuration: %w", err)
	}
	if err := os.WriteFile(t.configFile, []byte(b.String()), 0o600); err != nil {
		return fmt.Errorf("write the Temporal server's configuration: %w", err)
	}
	t.Address = net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0]))
	return nil
}

// freeMembershipPort finds a free port between 20000 and 32767.
func freeMembershipPort() (int, error) {
	for range 200 {
		port := 20000 + mathrand.IntN(32768-20000)
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		if err := l.Close(); err != nil {
			return 0, fmt.Errorf("release probe of port %d: %w", port, err)
		}
		return port, nil
	}
	return 0, errors.New("Temporal server: no free membership port between 20000 and 32767")
}

func dialQuietly(ctx context.Context, address, namespace string) (client.Client, error) {
	return client.DialContext(ctx, client.Options{
		HostPort:  address,
		Namespace: namespace,
		Logger:    sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))),
	})
}

func temporalHealthy(ctx context.Context, address string) error {
	c, err := dialQuietly(ctx, address, "default")
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = c.CheckHealth(ctx, &client.CheckHealthRequest{})
	return err
}

// registerNamespace creates the namespace the application uses; the server,
// unlike the dev server and the deprecated auto-setup image, creates none.
func registerNamespace(ctx context.Context, address, namespace string) error {
	c, err := dialQuietly(ctx, address, "")
	if err != nil {
		return fmt.Errorf("Temporal server: %w", err)
	}
	defer c.Close()
	_, err = c.WorkflowService().RegisterNamespace(ctx, &workflowservice.RegisterNamespaceRequest{
		Namespace:                        namespace,
		WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour),
	})
	var exists *serviceerror.NamespaceAlreadyExists
	if err != nil && !errors.As(err, &exists) {
		return fmt.Errorf("Temporal server: register namespace %s: %w", namespace, err)
	}
	return nil
}

// temporalServing waits until the namespace has reached the caches of the
// services, not just the database: a visibility query is answered through
// them.
func temporalServing(ctx context.Context, address, namespace string) error {
	c, err := dialQuietly(ctx, address, namespace)
	if err != nil {
		return err
	}
	defer c.Close()
	d, err := c.WorkflowService().DescribeNamespace(ctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
	if err != nil {
		return err
	}
	if d.GetNamespaceInfo().GetState() != enumspb.NAMESPACE_STATE_REGISTERED {
		return fmt.Errorf("namespace %s is %v", namespace, d.GetNamespaceInfo().GetState())
	}
	_, err = c.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Namespace: namespace})
	return err
}
