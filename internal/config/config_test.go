package config

import (
	"strings"
	"testing"
	"time"
)

func TestLoad_DefaultsRunTheEmbeddedStack(t *testing.T) {
	cfg, err := Load(nil)
	if err != nil {
		t.Fatalf("defaults must be valid: %v", err)
	}
	if cfg.Day != 24*time.Hour {
		t.Errorf("OPENIMI_DAY default = %v, want 24h", cfg.Day)
	}
	if cfg.HTTPAddr != ":8080" || cfg.TemporalNamespace != "default" || cfg.TemporalAddress != "127.0.0.1:7233" {
		t.Errorf("unexpected defaults: http %q namespace %q temporal %q", cfg.HTTPAddr, cfg.TemporalNamespace, cfg.TemporalAddress)
	}
	if cfg.Given("DATABASE_URL") {
		t.Error("DATABASE_URL reported as given although only the default applies")
	}
}

func TestLoad_ReadsEveryVariable(t *testing.T) {
	cfg, err := Load([]string{
		"DATABASE_URL=postgres://u:p@db.example:5432/imi",
		"TEMPORAL_ADDRESS=temporal:7233",
		"TEMPORAL_NAMESPACE=imi",
		"SMTP_URL=smtp://mail:25",
		"HTTP_ADDR=127.0.0.1:9000",
		"PUBLIC_URL=https://imi.example",
		"OPENIMI_DAY=2s",
		"OPENIMI_BOOTSTRAP_EMAIL=root@imi.example",
		"OPENIMI_BOOTSTRAP_PASSWORD=correct horse battery",
		"LOG_LEVEL=debug",
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if cfg.Day != 2*time.Second {
		t.Errorf("Day = %v, want 2s", cfg.Day)
	}
	if cfg.TemporalNamespace != "imi" || cfg.PublicURL != "https://imi.example" || cfg.BootstrapEmail != "root@imi.example" {
		t.Errorf("values not read: %+v", cfg)
	}
	if !cfg.Given("DATABASE_URL") || !cfg.Given("SMTP_URL") || cfg.Given("MAIL_FROM") {
		t.Errorf("Given does not tell set variables from defaults")
	}
	if cfg.LogLevel.String() != "DEBUG" {
		t.Errorf("LOG_LEVEL = %v, want DEBUG", cfg.LogLevel)
	}
}

func TestLoad_BadValueStopsWithOneLineNamingTheVariable(t *testing.T) {
	cases := []struct {
		env  string
		want string
	}{
		{"OPENIMI_DAY=soon", "OPENIMI_DAY"},
		{"OPENIMI_DAY=-1s", "OPENIMI_DAY"},
		{"DATABASE_URL=mysql://x/y", "DATABASE_URL"},
		{"TEMPORAL_ADDRESS=nohostport", "TEMPORAL_ADDRESS"},
		{"SMTP_URL=http://mail", "SMTP_URL"},
		{"PUBLIC_URL=localhost", "PUBLIC_URL"},
		{"OPENIMI_BOOTSTRAP_EMAIL=not-an-address", "OPENIMI_BOOTSTRAP_EMAIL"},
		{"OPENIMI_BOOTSTRAP_PASSWORD=short", "OPENIMI_BOOTSTRAP_PASSWORD"},
		{"OPENIMI_DEV_PG_PORT=70000", "OPENIMI_DEV_PG_PORT"},
		{"OPENIMI_DEV_PG_PORT=abc", "OPENIMI_DEV_PG_PORT"},
		{"LOG_FORMAT=xml", "LOG_FORMAT"},
		{"LOG_LEVEL=loud", "LOG_LEVEL"},
	}
	for _, tc := range cases {
		t.Run(tc.env, func(t *testing.T) {
			_, err := Load([]string{tc.env})
			if err == nil {
				t.Fatalf("Load(%s) succeeded, want an error", tc.env)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not name %s", msg, tc.want)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("error spans several lines: %q", msg)
			}
		})
	}
}

func TestSettings_MaskSecrets(t *testing.T) {
	cfg, err := Load([]string{
		"DATABASE_URL=postgres://openimi:s3cret-db@db:5432/openimi",
		"OPENIMI_BOOTSTRAP_PASSWORD=s3cret-helpdesk-pw",
		"SMTP_URL=smtp://user:s3cret-smtp@mail:587",
	})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var printed strings.Builder
	seen := map[string]bool{}
	for _, s := range cfg.Settings() {
		printed.WriteString(s.Name + "=" + s.Value + "\n")
		seen[s.Name] = true
	}
	if strings.Contains(printed.String(), "s3cret") {
		t.Fatalf("a secret is printed:\n%s", printed.String())
	}
	for _, name := range []string{"DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "SMTP_URL", "HTTP_ADDR", "PUBLIC_URL", "OPENIMI_DAY", "OPENIMI_BOOTSTRAP_EMAIL", "OPENIMI_BOOTSTRAP_PASSWORD"} {
		if !seen[name] {
			t.Errorf("%s is not printed at start", name)
		}
	}
	if !strings.Contains(printed.String(), "postgres://openimi:xxxxx@db:5432/openimi") {
		t.Errorf("database URL not shown with its password masked:\n%s", printed.String())
	}
}

func TestGiven_EmptyVariableCountsAsUnset(t *testing.T) {
	cfg, err := Load([]string{"OPENIMI_BOOTSTRAP_PASSWORD=", "TEMPORAL_ADDRESS=temporal:7233"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Given("OPENIMI_BOOTSTRAP_PASSWORD") {
		t.Error("an empty variable is reported as given")
	}
	if !cfg.Given("TEMPORAL_ADDRESS") {
		t.Error("a set variable is not reported as given")
	}
}
