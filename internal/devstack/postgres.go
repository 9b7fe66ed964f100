package devstack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// ErrNoPostgres is returned when no PostgreSQL server binaries are found.
var ErrNoPostgres = errors.New("no PostgreSQL server binaries found (looked for initdb on PATH and in /usr/lib/postgresql/*/bin): install them with `apt-get install -y postgresql` or set DATABASE_URL to an existing server")

// PostgresOptions say where and how to run a local cluster.
type PostgresOptions struct {
	// DataDir holds the cluster; it is initialised when empty.
	DataDir string
	// Port to listen on at 127.0.0.1; 0 picks a free one.
	Port int
	// PortEnvVar names the setting that changes Port, for error messages.
	PortEnvVar string
	// Database is created when absent.
	Database string
	// Throwaway trades durability for speed: for tests only.
	Throwaway bool
	// LogFile receives the server's output; empty keeps only a tail in memory.
	LogFile string
}

// Postgres is a running local cluster.
type Postgres struct {
	proc *process
	// URL connects to Options.Database as the superuser, over TCP.
	URL string
	// AdminURL connects to the maintenance database "postgres".
	AdminURL string
	DataDir  string
	Port     int
}

const postgresSuperuser = "openimi"

// FindPostgresBin returns the folder holding initdb and postgres.
func FindPostgresBin() (string, error) {
	if initdb, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(initdb); err == nil {
			dir := filepath.Dir(real)
			if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
				return dir, nil
			}
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	// The newest major version first: a cluster is initialised once, and the
	// newest server is the one a later upgrade keeps.
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	return "", ErrNoPostgres
}

func pgMajor(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// StartPostgres initialises the cluster if needed, starts it and waits until
// it accepts connections and the database exists.
func StartPostgres(ctx context.Context, logger *slog.Logger, opts PostgresOptions) (*Postgres, error) {
	binDir, err := FindPostgresBin()
	if err != nil {
		return nil, err
	}
	port, err := claimPort("PostgreSQL", opts.PortEnvVar, opts.Port)
	if err != nil {
		return nil, err
	}
	runAs, err := serverAccount()
	if err != nil {
		return nil, err
	}
	dataDir, err := preparePostgresDir(logger, opts.DataDir, runAs)
	if err != nil {
		return nil, err
	}
	if err := initCluster(ctx, binDir, dataDir, runAs, opts.Throwaway); err != nil {
		return nil, err
	}

	args := []string{
		"-D", dataDir,
		"-p", strconv.Itoa(port),
		"-c", "listen_addresses=127.0.0.1",
		// TCP only: a socket path under a deep data folder can exceed the
		// 107-byte limit of Unix socket names.
		"-c", "unix_socket_directories=",
		"-c", "max_connections=200",
	}
	if opts.Throwaway {
		args = append(args, "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "postgres"), args...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.SysProcAttr = runAs.sysProcAttr()
	// SIGINT is PostgreSQL's "fast" shutdown: it ends sessions and checkpoints.
	proc, err := startProcess("PostgreSQL", cmd, syscall.SIGINT, opts.LogFile)
	if err != nil {
		return nil, err
	}
	pg := &Postgres{
		proc:     proc,
		URL:      postgresURL(port, opts.Database),
		AdminURL: postgresURL(port, "postgres"),
		DataDir:  dataDir,
		Port:     port,
	}
	ready := func(ctx context.Context) error {
		conn, err := pgx.Connect(ctx, pg.AdminURL)
		if err != nil {
			return err
		}
		return conn.Close(ctx)
	}
	if err := proc.waitReady(ctx, 30*time.Second, ready); err != nil {
		_ = pg.Stop(context.Background())
		return nil, err
	}
	if err := ensureDatabase(ctx, pg.AdminURL, opts.Database); err != nil {
		_ = pg.Stop(context.Background())
		return nil, err
	}
	logReady(logger, "PostgreSQL", "url", pg.URL, "data", dataDir)
	return pg, nil
}

// Stop shuts the server down, waiting at most until ctx's deadline.
func (p *Postgres) Stop(ctx context.Context) error { return p.proc.stop(ctx) }

// Exited is closed when the server has ended.
func (p *Postgres) Exited() <-chan struct{} { return p.proc.Exited() }

func postgresURL(port int, database string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", postgresSuperuser, port, database)
}

func initCluster(ctx context.Context, binDir, dataDir string, runAs account, throwaway bool) error {
	versionFile := filepath.Join(dataDir, "PG_VERSION")
	if b, err := os.ReadFile(versionFile); err == nil {
		have := strings.TrimSpace(string(b))
		if want := strconv.Itoa(pgMajor(binDir)); want != "0" && have != want {
			return fmt.Errorf("the cluster in %s is PostgreSQL %s but the server binaries in %s are version %s: remove the folder to start afresh, or set DATABASE_URL", dataDir, have, binDir, want)
		}
		return nil
	}
	args := []string{"-D", dataDir, "-U", postgresSuperuser, "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"}
	if throwaway {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(binDir, "initdb"), args...)
	cmd.SysProcAttr = runAs.sysProcAttr()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("initdb %s: %w\n%s", dataDir, err, out)
	}
	return nil
}

func ensureDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect to create database %s: %w", name, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database %s: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	return nil
}

// account is the operating-system user the server runs as. PostgreSQL
// refuses to run as root, so root hands it to the "postgres" account.
type account struct {
	uid, gid int
	switched bool
}

func serverAccount() (account, error) {
	if os.Geteuid() != 0 {
		return account{uid: os.Geteuid(), gid: os.Getegid()}, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return account{}, fmt.Errorf("running as root, PostgreSQL needs the \"postgres\" account, which is missing (install the postgresql package or run as another user): %w", err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return account{uid: uid, gid: gid, switched: true}, nil
}

func (a account) sysProcAttr() *syscall.SysProcAttr {
	if !a.switched {
		return &syscall.SysProcAttr{}
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(a.uid), Gid: uint32(a.gid)}}
}

// preparePostgresDir makes the data folder, owned by the server's account.
// When that account cannot reach the folder (a parent is closed to it, as
// under a root-owned home), it uses a private folder under the system's
// temporary folder instead, named after the requested one so that the next
// run finds the same cluster.
func preparePostgresDir(logger *slog.Logger, requested string, runAs account) (string, error) {
	abs, err := filepath.Abs(requested)
	if err != nil {
		return "", fmt.Errorf("data folder %s: %w", requested, err)
	}
	dir := abs
	if runAs.switched && !traversable(filepath.Dir(abs), runAs) {
		sum := sha256.Sum256([]byte(abs))
		dir = filepath.Join(os.TempDir(), "openimi-pg-"+hex.EncodeToString(sum[:6]))
		logger.Warn("the postgres account cannot reach the data folder; using a private folder instead", "requested", abs, "used", dir)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create PostgreSQL data folder: %w", err)
	}
	if runAs.switched {
		if err := os.Chown(dir, runAs.uid, runAs.gid); err != nil {
			return "", fmt.Errorf("hand %s to the postgres account: %w", dir, err)
		}
	}
	// initdb and the server insist on a folder closed to everybody else.
	if err := os.Chmod(dir, 0o700); err != nil {
		return "", fmt.Errorf("restrict %s: %w", dir, err)
	}
	return dir, nil
}

// traversable reports whether the account can walk from / down to dir.
func traversable(dir string, a account) bool {
	for d := dir; ; d = filepath.Dir(d) {
		info, err := os.Stat(d)
		if err != nil {
			// Not there yet: MkdirAll will create it as root with mode 0755.
			if parent := filepath.Dir(d); parent != d {
				continue
			}
			return false
		}
		st, ok := info.Sys().(*syscall.Stat_t)
		if !ok {
			return false
		}
		mode := info.Mode().Perm()
		switch {
		case int(st.Uid) == a.uid:
			if mode&0o100 == 0 {
				return false
			}
		case int(st.Gid) == a.gid:
			if mode&0o010 == 0 {
				return false
			}
		default:
			if mode&0o001 == 0 {
				return false
			}
		}
		if parent := filepath.Dir(d); parent == d {
			return true
		}
	}
}
