package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/openimi/openimi/internal/devstack"
)

const (
	makefilePath      = repoRoot + "/Makefile"
	dynamicConfigPath = repoRoot + "/deploy/temporal/dynamicconfig.yaml"
)

// makeVariable reads `NAME := value` from the Makefile: the versions
// `make test-cluster` and `make dev` run are the ones compose must deploy.
func makeVariable(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(makefilePath)
	if err != nil {
		t.Fatalf("reading Makefile: %v", err)
	}
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` := (\S+)$`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("Makefile sets no %s", name)
	}
	return string(m[1])
}

func imageTag(ref string) (repo, tag string) {
	i := strings.LastIndex(ref, ":")
	if i < 0 {
		return ref, ""
	}
	return ref[:i], ref[i+1:]
}

func TestCompose_RunsTheTemporalReleaseMakeTestClusterTests(t *testing.T) {
	p := mustLoadCompose(t)
	want := strings.TrimPrefix(makeVariable(t, "TEMPORAL_SERVER_VERSION"), "v")
	images := map[string]string{
		"temporal":           "temporalio/server",
		"temporal-schema":    "temporalio/admin-tools",
		"temporal-namespace": "temporalio/admin-tools",
	}
	for name, repo := range images {
		gotRepo, tag := imageTag(service(t, p, name).Image)
		if gotRepo != repo || tag != want {
			t.Errorf("%s: image %s, want %s:%s (the Makefile's TEMPORAL_SERVER_VERSION): the schema must be the one the server expects", name, service(t, p, name).Image, repo, want)
		}
	}
}

func TestCompose_MailpitAndUIAreTheMakefilesVersions(t *testing.T) {
	p := mustLoadCompose(t)
	checks := map[string]string{
		"mailpit":     "axllent/mailpit:" + makeVariable(t, "MAILPIT_VERSION"),
		"temporal-ui": "temporalio/ui:" + strings.TrimPrefix(makeVariable(t, "TEMPORAL_UI_VERSION"), "v"),
	}
	for name, want := range checks {
		if got := service(t, p, name).Image; got != want {
			t.Errorf("%s: image %s, want %s", name, got, want)
		}
	}
}

func TestCompose_TemporalMountsTheTestedDynamicConfig(t *testing.T) {
	p := mustLoadCompose(t)
	tmp := service(t, p, "temporal")
	path := env(t, tmp, "DYNAMIC_CONFIG_FILE_PATH")
	wantSource, err := absPath(dynamicConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	mounted := false
	for _, v := range tmp.Volumes {
		if v.Target == path {
			mounted = true
			if v.Source != wantSource {
				t.Errorf("temporal: %s is mounted from %s, want %s (the file make test-cluster runs with)", path, v.Source, wantSource)
			}
			if !v.ReadOnly {
				t.Errorf("temporal: the dynamic config is mounted writable")
			}
		}
	}
	if !mounted {
		t.Errorf("temporal: DYNAMIC_CONFIG_FILE_PATH=%s is not a mounted file", path)
	}
}

func TestDynamicConfig_TurnsOnWhatOpenIMINeeds(t *testing.T) {
	data, err := os.ReadFile(dynamicConfigPath)
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string][]struct {
		Value       any            `yaml:"value"`
		Constraints map[string]any `yaml:"constraints"`
	}
	if err := yaml.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("dynamic config does not parse: %v", err)
	}
	for _, key := range []string{"frontend.enableExecuteMultiOperation", "system.enableActivityEagerExecution"} {
		values := cfg[key]
		if len(values) != 1 || values[0].Value != true || len(values[0].Constraints) != 0 {
			t.Errorf("%s = %+v, want one unconstrained value true", key, values)
		}
	}
}

func absPath(rel string) (string, error) {
	return filepath.Abs(rel)
}

// The server of the pinned release knows every key of the file and its
// type, but the one kept for servers before 1.28.
func TestDynamicConfig_TheTestedServerKnowsEveryKey(t *testing.T) {
	tools, err := devstack.FindToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	server := filepath.Join(tools, "temporal-server")
	if _, err := os.Stat(server); err != nil {
		if os.Getenv("OPENIMI_TEMPORAL") == "server" {
			t.Fatalf("the Temporal server is not built: %v", err)
		}
		t.Skipf("the Temporal server is not built (make cluster-tools): %v", err)
	}
	out, err := exec.Command(server, "validate-dynamic-config", dynamicConfigPath).CombinedOutput()
	if err != nil {
		t.Fatalf("validate-dynamic-config: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n")[1:] {
		if strings.TrimSpace(line) != `warning: unregistered key "frontend.enableexecutemultioperation"` {
			t.Errorf("validate-dynamic-config: %s", line)
		}
	}
}
