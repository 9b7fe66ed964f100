package devstack

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestClaimPort_TakenPortIsAClearErrorNamingTheSetting(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port

	_, err = claimPort("Mailpit SMTP", "OPENIMI_DEV_SMTP_PORT", taken)
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("claimPort on a taken port: %v, want ErrPortInUse", err)
	}
	if !strings.Contains(err.Error(), "OPENIMI_DEV_SMTP_PORT") {
		t.Errorf("error %q does not say which setting moves the port", err)
	}

	_, err = StartMailpit(context.Background(), quietLogger(), MailpitOptions{
		Binary: toolPath(t, "mailpit"), SMTPPort: taken, SMTPPortEnvVar: "OPENIMI_DEV_SMTP_PORT",
	})
	if !errors.Is(err, ErrPortInUse) {
		t.Fatalf("StartMailpit on a taken port: %v, want ErrPortInUse", err)
	}
}

func TestPostgres_DataSurvivesARestart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	opts := PostgresOptions{DataDir: filepath.Join(dir, "pg"), Database: "openimi", Throwaway: true}

	pg := startPostgres(t, opts)
	runSQL(t, pg.URL, "CREATE TABLE kept (v text); INSERT INTO kept VALUES ('still here')")
	stopCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := pg.Stop(stopCtx); err != nil {
		t.Fatalf("stop: %v", err)
	}

	pg = startPostgres(t, opts)
	defer pg.Stop(stopCtx)
	conn, err := pgx.Connect(ctx, pg.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SELECT v FROM kept").Scan(&v); err != nil || v != "still here" {
		t.Fatalf("after restart: %q, %v; want the row written before", v, err)
	}
}

func TestThrowaway_StartsEveryComponentAndRemovesItsData(t *testing.T) {
	ctx := context.Background()
	stack, err := StartThrowaway(ctx, quietLogger(), ThrowawayOptions{
		ToolsDir: toolsDir(t), Namespace: "openimi-test", Postgres: true, Temporal: true, Mailpit: true,
	})
	if err != nil {
		t.Fatalf("StartThrowaway: %v", err)
	}
	dataDir := filepath.Dir(stack.Postgres.DataDir)

	env := strings.Join(stack.Env(), "\n")
	for _, name := range []string{"DATABASE_URL=", "TEMPORAL_ADDRESS=", "SMTP_URL=", "MAILPIT_URL="} {
		if !strings.Contains(env, name) {
			t.Errorf("Env lacks %s: %s", name, env)
		}
	}
	runSQL(t, stack.Postgres.URL, "SELECT 1")
	if err := temporalReady(ctx, stack.Temporal.Address, "openimi-test"); err != nil {
		t.Errorf("Temporal namespace not served: %v", err)
	}
	resp, err := http.Get(stack.Mailpit.APIURL + "/api/v1/messages")
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("Mailpit API: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	stopCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := stack.Stop(stopCtx); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	for name, done := range map[string]<-chan struct{}{"postgres": stack.Postgres.Exited(), "temporal": stack.Temporal.Exited(), "mailpit": stack.Mailpit.Exited()} {
		select {
		case <-done:
		default:
			t.Errorf("%s still running after Stop", name)
		}
	}
	if _, err := os.Stat(dataDir); !os.IsNotExist(err) {
		t.Errorf("throw-away folder %s remains: %v", dataDir, err)
	}
}

func startPostgres(t *testing.T, opts PostgresOptions) *Postgres {
	t.Helper()
	pg, err := StartPostgres(context.Background(), quietLogger(), opts)
	if err != nil {
		t.Fatalf("StartPostgres: %v", err)
	}
	return pg
}

func runSQL(t *testing.T, url, sql string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func toolsDir(t *testing.T) string {
	t.Helper()
	dir, err := FindToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func toolPath(t *testing.T, name string) string {
	return filepath.Join(toolsDir(t), name)
}
