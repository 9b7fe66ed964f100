package deploy

import (
	"context"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

const (
	repoRoot       = "../.."
	composeFile    = repoRoot + "/docker-compose.yml"
	dockerfilePath = repoRoot + "/Dockerfile"
	goModPath      = repoRoot + "/go.mod"
)

// Values given to the variables the compose file requires. Distinct values
// let the tests tell which one ended up where.
var requiredEnv = map[string]string{
	"POSTGRES_PASSWORD":          "pg-test-secret",
	"OPENIMI_BOOTSTRAP_EMAIL":    "admin@example.org",
	"OPENIMI_BOOTSTRAP_PASSWORD": "bootstrap-test-secret",
}

// Optional overrides are blanked so the defaults are what gets checked,
// whatever the developer's shell exports.
var optionalEnv = []string{"OPENIMI_PUBLIC_URL", "OPENIMI_SMTP_URL", "OPENIMI_REVISION"}

// The variables the application reads; a service missing one would fail at
// start or, worse, fall back to a default meant for development.
var appEnv = []string{
	"DATABASE_URL",
	"TEMPORAL_ADDRESS",
	"TEMPORAL_NAMESPACE",
	"SMTP_URL",
	"PUBLIC_URL",
	"OPENIMI_DAY",
	"OPENIMI_BOOTSTRAP_EMAIL",
	"OPENIMI_BOOTSTRAP_PASSWORD",
}

var (
	appServices         = []string{"migrate", "api", "worker"}
	longRunningServices = []string{"postgres", "temporal", "temporal-ui", "mailpit", "api", "worker"}
)

func setComposeEnv(t *testing.T) {
	t.Helper()
	for k, v := range requiredEnv {
		t.Setenv(k, v)
	}
	for _, k := range optionalEnv {
		t.Setenv(k, "")
	}
}

// loadCompose parses the file the way `docker compose` does: interpolation,
// YAML anchors, normalisation and the consistency checks (e.g. depends_on
// naming an unknown service) all run.
func loadCompose(t *testing.T) (*types.Project, error) {
	t.Helper()
	abs, err := filepath.Abs(composeFile)
	if err != nil {
		t.Fatalf("resolving %s: %v", composeFile, err)
	}
	details := types.ConfigDetails{
		WorkingDir:  filepath.Dir(abs),
		ConfigFiles: []types.ConfigFile{{Filename: abs}},
		Environment: types.NewMapping(os.Environ()),
	}
	return loader.LoadWithContext(context.Background(), details)
}

func mustLoadCompose(t *testing.T) *types.Project {
	t.Helper()
	setComposeEnv(t)
	p, err := loadCompose(t)
	if err != nil {
		t.Fatalf("docker-compose.yml does not load with the required variables set: %v", err)
	}
	return p
}

func service(t *testing.T, p *types.Project, name string) types.ServiceConfig {
	t.Helper()
	s, ok := p.Services[name]
	if !ok {
		t.Fatalf("service %q is missing from docker-compose.yml", name)
	}
	return s
}

func env(t *testing.T, s types.ServiceConfig, key string) string {
	t.Helper()
	v, ok := s.Environment[key]
	if !ok || v == nil || *v == "" {
		t.Fatalf("service %q: environment variable %s is missing or empty", s.Name, key)
	}
	return *v
}

// imagePinned reports whether ref names one specific image: a digest, or a
// tag other than "latest". A tag-less reference silently means "latest".
func imagePinned(ref string) (bool, string) {
	if ref == "" {
		return false, "no image"
	}
	if strings.Contains(ref, "@sha256:") {
		return true, ""
	}
	name := ref[strings.LastIndex(ref, "/")+1:] // a registry port has a ':' too
	i := strings.LastIndex(name, ":")
	if i < 0 || i == len(name)-1 {
		return false, "no tag (means latest)"
	}
	if tag := name[i+1:]; tag == "latest" {
		return false, "tag is latest"
	}
	return true, ""
}

func TestImagePinned_RecognisesUnpinnedReferences(t *testing.T) {
	cases := map[string]bool{
		"postgres:16.4-bookworm":                          true,
		"registry.example.org:5000/openimi:1.2.3":         true,
		"gcr.io/distroless/static-debian12@sha256:abc123": true,
		"postgres":                          false,
		"postgres:latest":                   false,
		"registry.example.org:5000/openimi": false,
		"":                                  false,
	}
	for ref, want := range cases {
		if got, why := imagePinned(ref); got != want {
			t.Errorf("imagePinned(%q) = %v (%s), want %v", ref, got, why, want)
		}
	}
}

func TestCompose_LoadsWithTheRequiredVariables(t *testing.T) {
	p := mustLoadCompose(t)
	if p.Name != "openimi" {
		t.Errorf("project name = %q, want %q so volumes and containers get stable names", p.Name, "openimi")
	}
}

func TestCompose_RefusesToLoadWithoutEachSecret(t *testing.T) {
	for name := range requiredEnv {
		t.Run(name, func(t *testing.T) {
			setComposeEnv(t)
			t.Setenv(name, "") // ":?" treats empty like unset
			_, err := loadCompose(t)
			if err == nil {
				t.Fatalf("docker-compose.yml loaded without %s; it must be required (${%s:?...})", name, name)
			}
			if !strings.Contains(err.Error(), name) {
				t.Errorf("error without %s does not name the variable, the operator cannot tell what to set: %v", name, err)
			}
		})
	}
}

func TestCompose_DefinesTheExpectedServices(t *testing.T) {
	p := mustLoadCompose(t)
	want := []string{"postgres", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui", "mailpit", "migrate", "api", "worker"}
	for _, name := range want {
		if _, ok := p.Services[name]; !ok {
			t.Errorf("service %q is missing", name)
		}
	}
	for name := range p.Services {
		if !slices.Contains(want, name) {
			t.Errorf("unexpected service %q: add it to this test with its checks", name)
		}
	}
}

func TestCompose_PinsEveryImage(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range p.Services {
		if ok, why := imagePinned(s.Image); !ok {
			t.Errorf("service %q: image %q is not pinned: %s", name, s.Image, why)
		}
	}
}

func TestCompose_BuildsAppServicesFromTheRepoDockerfile(t *testing.T) {
	p := mustLoadCompose(t)
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range appServices {
		s := service(t, p, name)
		if s.Build == nil {
			t.Errorf("service %q has no build section; it must run this repository's code", name)
			continue
		}
		if filepath.Clean(s.Build.Context) != root {
			t.Errorf("service %q: build context = %q, want the repository root %q", name, s.Build.Context, root)
		}
		df := s.Build.Dockerfile
		if !filepath.IsAbs(df) {
			df = filepath.Join(s.Build.Context, df)
		}
		wantDF, _ := filepath.Abs(dockerfilePath)
		if filepath.Clean(df) != wantDF {
			t.Errorf("service %q: dockerfile = %q, want %q", name, df, wantDF)
		}
	}
}

func TestCompose_AppServicesRunTheirSubcommand(t *testing.T) {
	p := mustLoadCompose(t)
	for _, name := range appServices {
		s := service(t, p, name)
		if !slices.Equal([]string(s.Command), []string{name}) {
			t.Errorf("service %q: command = %q, want [%q]", name, s.Command, name)
		}
		if len(s.Entrypoint) != 0 {
			t.Errorf("service %q overrides the entrypoint (%q); the image's /openimi must run", name, s.Entrypoint)
		}
	}
}

func assertDependsOn(t *testing.T, p *types.Project, from string, want map[string]string) {
	t.Helper()
	s := service(t, p, from)
	for dep, cond := range want {
		d, ok := s.DependsOn[dep]
		if !ok {
			t.Errorf("service %q does not depend on %q", from, dep)
			continue
		}
		if d.Condition != cond {
			t.Errorf("service %q depends on %q with condition %q, want %q", from, dep, d.Condition, cond)
		}
		if !d.Required {
			t.Errorf("service %q: dependency on %q is optional (required: false); it must block start", from, dep)
		}
	}
}

func TestCompose_APIWaitsForMigrationsAndTemporal(t *testing.T) {
	p := mustLoadCompose(t)
	assertDependsOn(t, p, "api", map[string]string{
		"migrate":            types.ServiceConditionCompletedSuccessfully,
		"temporal-namespace": types.ServiceConditionCompletedSuccessfully,
		"mailpit":            types.ServiceConditionHealthy,
	})
}

func TestCompose_WorkerWaitsForMigrationsAndTemporal(t *testing.T) {
	p := mustLoadCompose(t)
	assertDependsOn(t, p, "worker", map[string]string{
		"migrate":            types.ServiceConditionCompletedSuccessfully,
		"temporal-namespace": types.ServiceConditionCompletedSuccessfully,
	})
}

func TestCompose_MigrateAndTemporalWaitForHealthyPostgres(t *testing.T) {
	p := mustLoadCompose(t)
	for _, name := range []string{"migrate", "temporal-schema"} {
		assertDependsOn(t, p, name, map[string]string{"postgres": types.ServiceConditionHealthy})
	}
	assertDependsOn(t, p, "temporal", map[string]string{"temporal-schema": types.ServiceConditionCompletedSuccessfully})
	assertDependsOn(t, p, "temporal-namespace", map[string]string{"temporal": types.ServiceConditionHealthy})
	assertDependsOn(t, p, "temporal-ui", map[string]string{"temporal": types.ServiceConditionHealthy})
}

func TestCompose_MigrateRunsOnce(t *testing.T) {
	p := mustLoadCompose(t)
	// Restarting a finished job would loop forever and never let
	// "service_completed_successfully" be reached.
	for _, name := range []string{"migrate", "temporal-schema", "temporal-namespace"} {
		s := service(t, p, name)
		if s.Restart != "" && s.Restart != types.RestartPolicyNo {
			t.Errorf("%s: restart = %q, want %q", name, s.Restart, types.RestartPolicyNo)
		}
	}
}

func TestCompose_LongRunningServicesHaveHealthchecksAndRestartPolicies(t *testing.T) {
	p := mustLoadCompose(t)
	for _, name := range longRunningServices {
		s := service(t, p, name)
		hc := s.HealthCheck
		switch {
		case hc == nil:
			t.Errorf("service %q has no healthcheck", name)
		case hc.Disable || len(hc.Test) == 0 || hc.Test[0] == "NONE":
			t.Errorf("service %q: healthcheck is disabled (%q)", name, hc.Test)
		case hc.Test[0] != "CMD" && hc.Test[0] != "CMD-SHELL":
			t.Errorf("service %q: healthcheck test %q must start with CMD or CMD-SHELL", name, hc.Test)
		}
		switch s.Restart {
		case types.RestartPolicyUnlessStopped, types.RestartPolicyAlways, types.RestartPolicyOnFailure:
		default:
			t.Errorf("service %q: restart = %q; a long-running service must come back after a crash or reboot", name, s.Restart)
		}
	}
}

func TestCompose_AppHealthchecksProbeReadyz(t *testing.T) {
	p := mustLoadCompose(t)
	// distroless has no shell or curl: only the binary's own probe works.
	want := map[string][]string{
		"api":    {"CMD", "/openimi", "healthcheck", "--url", "http://127.0.0.1:8080/readyz"},
		"worker": {"CMD", "/openimi", "healthcheck", "--url", "http://127.0.0.1:8081/readyz"},
	}
	for name, test := range want {
		s := service(t, p, name)
		if s.HealthCheck == nil || !slices.Equal([]string(s.HealthCheck.Test), test) {
			var got []string
			if s.HealthCheck != nil {
				got = s.HealthCheck.Test
			}
			t.Errorf("service %q: healthcheck test = %q, want %q", name, got, test)
		}
	}
	// The probe ports must be the ones the processes listen on.
	if got := env(t, service(t, p, "api"), "HTTP_ADDR"); got != ":8080" {
		t.Errorf("api: HTTP_ADDR = %q, but its healthcheck probes :8080", got)
	}
	if got := env(t, service(t, p, "worker"), "WORKER_HTTP_ADDR"); got != ":8081" {
		t.Errorf("worker: WORKER_HTTP_ADDR = %q, but its healthcheck probes :8081", got)
	}
}

func TestCompose_AppServicesGetEveryVariableTheAppNeeds(t *testing.T) {
	p := mustLoadCompose(t)
	for _, name := range []string{"api", "worker"} {
		s := service(t, p, name)
		for _, key := range appEnv {
			env(t, s, key)
		}
		if got := env(t, s, "OPENIMI_BOOTSTRAP_PASSWORD"); got != requiredEnv["OPENIMI_BOOTSTRAP_PASSWORD"] {
			t.Errorf("service %q: OPENIMI_BOOTSTRAP_PASSWORD = %q, want the operator's value", name, got)
		}
		if got := env(t, s, "TEMPORAL_NAMESPACE"); got != "default" {
			t.Errorf("service %q: TEMPORAL_NAMESPACE = %q, want %q (the namespace temporal-namespace creates)", name, got, "default")
		}
		if got := env(t, s, "LOG_FORMAT"); got != "json" {
			t.Errorf("service %q: LOG_FORMAT = %q, want json in production", name, got)
		}
	}
	env(t, service(t, p, "api"), "HTTP_ADDR")
	env(t, service(t, p, "migrate"), "DATABASE_URL")
}

func TestCompose_AppReachesPostgresAndTemporalByServiceName(t *testing.T) {
	p := mustLoadCompose(t)
	pg := service(t, p, "postgres")
	pgUser := env(t, pg, "POSTGRES_USER")
	pgDB := env(t, pg, "POSTGRES_DB")
	for _, name := range appServices {
		s := service(t, p, name)

		raw := env(t, s, "DATABASE_URL")
		u, err := url.Parse(raw)
		if err != nil {
			t.Errorf("service %q: DATABASE_URL does not parse: %v", name, err)
			continue
		}
		if u.Scheme != "postgres" && u.Scheme != "postgresql" {
			t.Errorf("service %q: DATABASE_URL scheme = %q, want postgres", name, u.Scheme)
		}
		if h := u.Hostname(); h != "postgres" {
			t.Errorf("service %q: DATABASE_URL host = %q, want the postgres service", name, h)
		}
		if got := u.User.Username(); got != pgUser {
			t.Errorf("service %q: DATABASE_URL user = %q, postgres service creates %q", name, got, pgUser)
		}
		if pw, _ := u.User.Password(); pw != requiredEnv["POSTGRES_PASSWORD"] {
			t.Errorf("service %q: DATABASE_URL password is not POSTGRES_PASSWORD", name)
		}
		if got := strings.TrimPrefix(u.Path, "/"); got != pgDB {
			t.Errorf("service %q: DATABASE_URL database = %q, postgres service creates %q", name, got, pgDB)
		}

		if name == "migrate" {
			continue
		}
		host, port, err := net.SplitHostPort(env(t, s, "TEMPORAL_ADDRESS"))
		if err != nil {
			t.Errorf("service %q: TEMPORAL_ADDRESS is not host:port: %v", name, err)
		} else if host != "temporal" || port != "7233" {
			t.Errorf("service %q: TEMPORAL_ADDRESS = %s:%s, want temporal:7233", name, host, port)
		}

		su, err := url.Parse(env(t, s, "SMTP_URL"))
		if err != nil {
			t.Errorf("service %q: SMTP_URL does not parse: %v", name, err)
		} else if su.Hostname() != "mailpit" {
			t.Errorf("service %q: default SMTP_URL host = %q, want the mailpit sink", name, su.Hostname())
		}
	}
	if pw := env(t, pg, "POSTGRES_PASSWORD"); pw != requiredEnv["POSTGRES_PASSWORD"] {
		t.Errorf("postgres: POSTGRES_PASSWORD is not taken from the operator's POSTGRES_PASSWORD")
	}
}

func TestCompose_TemporalPersistsToPostgres(t *testing.T) {
	p := mustLoadCompose(t)
	tmp := service(t, p, "temporal")
	pg := service(t, p, "postgres")

	// The server persists to the configured database; the dev
	// server (temporalio/temporal, `server start-dev`) keeps state in SQLite
	// inside the container and loses it with the container.
	repo := tmp.Image
	if i := strings.LastIndex(repo, ":"); i > 0 {
		repo = repo[:i]
	}
	if repo != "temporalio/server" {
		t.Errorf("temporal: image %q is not a persistent Temporal server image", tmp.Image)
	}
	if cmd := strings.Join(append(slices.Clone(tmp.Entrypoint), tmp.Command...), " "); strings.Contains(cmd, "start-dev") {
		t.Errorf("temporal runs the dev server (%q)", cmd)
	}

	want := map[string]string{
		"DB":             "postgres12",
		"DB_PORT":        "5432",
		"POSTGRES_SEEDS": "postgres",
		"POSTGRES_USER":  env(t, pg, "POSTGRES_USER"),
		"POSTGRES_PWD":   env(t, pg, "POSTGRES_PASSWORD"),
	}
	for k, v := range want {
		if got := env(t, tmp, k); got != v {
			t.Errorf("temporal: %s = %q, want %q", k, got, v)
		}
	}
	if _, ok := p.Services[want["POSTGRES_SEEDS"]]; !ok {
		t.Errorf("temporal: POSTGRES_SEEDS names %q, which is not a service", want["POSTGRES_SEEDS"])
	}

	hasVolume := false
	for _, v := range pg.Volumes {
		if v.Type == types.VolumeTypeVolume && v.Target == "/var/lib/postgresql/data" {
			if _, ok := p.Volumes[v.Source]; ok {
				hasVolume = true
			}
		}
	}
	if !hasVolume {
		t.Errorf("postgres: /var/lib/postgresql/data is not on a named volume; data would die with the container")
	}
	if hc := pg.HealthCheck; hc == nil || !slices.Contains(hc.Test, "pg_isready") {
		t.Errorf("postgres: healthcheck does not use pg_isready")
	}
}

func TestCompose_PublishesOnlyTheAPIBeyondLoopback(t *testing.T) {
	p := mustLoadCompose(t)
	for name, s := range p.Services {
		for _, port := range s.Ports {
			public := port.HostIP == "" || port.HostIP == "0.0.0.0" || port.HostIP == "::"
			if public && name != "api" {
				t.Errorf("service %q publishes %s:%d on all interfaces; it has no authentication, bind it to 127.0.0.1",
					name, port.Published, port.Target)
			}
		}
	}
	api := service(t, p, "api")
	if !slices.ContainsFunc(api.Ports, func(pc types.ServicePortConfig) bool {
		return pc.Published == "8080" && pc.Target == 8080
	}) {
		t.Errorf("api: port 8080:8080 is not published (got %+v)", api.Ports)
	}
	ui := service(t, p, "temporal-ui")
	if !slices.ContainsFunc(ui.Ports, func(pc types.ServicePortConfig) bool {
		return pc.Published == "8233" && pc.Target == 8080
	}) {
		t.Errorf("temporal-ui: port 8233:8080 is not published (got %+v)", ui.Ports)
	}
	if len(service(t, p, "postgres").Ports) != 0 {
		t.Errorf("postgres publishes a port; the app reaches it over the compose network")
	}
}

// dockerInstruction is one Dockerfile instruction with continuation lines
// joined.
type dockerInstruction struct {
	keyword string
	args    string
}

func parseDockerfile(t *testing.T) []dockerInstruction {
	t.Helper()
	data, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatalf("reading Dockerfile: %v", err)
	}
	var out []dockerInstruction
	var cur strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "#") || (trimmed == "" && cur.Len() == 0) {
			continue
		}
		if rest, ok := strings.CutSuffix(trimmed, `\`); ok {
			cur.WriteString(rest + " ")
			continue
		}
		cur.WriteString(trimmed)
		kw, args, _ := strings.Cut(strings.TrimSpace(cur.String()), " ")
		out = append(out, dockerInstruction{keyword: strings.ToUpper(kw), args: strings.TrimSpace(args)})
		cur.Reset()
	}
	return out
}

type dockerStage struct {
	image, name  string
	instructions []dockerInstruction
}

func dockerStages(t *testing.T) []dockerStage {
	t.Helper()
	var stages []dockerStage
	for _, in := range parseDockerfile(t) {
		if in.keyword == "FROM" {
			var fields []string
			for _, f := range strings.Fields(in.args) {
				if !strings.HasPrefix(f, "--") { // --platform=...
					fields = append(fields, f)
				}
			}
			if len(fields) == 0 {
				t.Fatalf("Dockerfile: FROM without an image")
			}
			st := dockerStage{image: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.name = fields[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			continue // ARG before the first FROM
		}
		last := &stages[len(stages)-1]
		last.instructions = append(last.instructions, in)
	}
	if len(stages) == 0 {
		t.Fatalf("Dockerfile has no FROM")
	}
	return stages
}

func TestDockerfile_IsMultiStageWithPinnedImages(t *testing.T) {
	stages := dockerStages(t)
	if len(stages) < 2 {
		t.Fatalf("Dockerfile has %d stage(s), want a build stage and a runtime stage", len(stages))
	}
	var names []string
	for i, st := range stages {
		if !slices.Contains(names, st.image) { // FROM <earlier stage> is not an image
			if ok, why := imagePinned(st.image); !ok {
				t.Errorf("Dockerfile stage %d: image %q is not pinned: %s", i, st.image, why)
			}
		}
		if st.name != "" {
			names = append(names, st.name)
		}
	}

	// The compiler in the image must be the toolchain go.mod asks for.
	mod, err := os.ReadFile(goModPath)
	if err != nil {
		t.Fatalf("reading go.mod: %v", err)
	}
	m := regexp.MustCompile(`(?m)^go (\S+)$`).FindSubmatch(mod)
	if m == nil {
		t.Fatalf("go.mod has no go directive")
	}
	if want := "golang:" + string(m[1]) + "-"; !strings.HasPrefix(stages[0].image, want) && stages[0].image != "golang:"+string(m[1]) {
		t.Errorf("build stage image = %q, want golang:%s (go.mod's go directive)", stages[0].image, m[1])
	}
}

func TestDockerfile_BuildsCmdOpenimiStatically(t *testing.T) {
	stages := dockerStages(t)
	build := stages[0]

	var download, buildIdx = -1, -1
	var buildCmd string
	for i, in := range build.instructions {
		if in.keyword != "RUN" {
			continue
		}
		if strings.Contains(in.args, "go mod download") && download < 0 {
			download = i
		}
		if strings.Contains(in.args, "go build") {
			buildIdx, buildCmd = i, in.args
		}
	}
	if buildIdx < 0 {
		t.Fatalf("build stage has no `go build`")
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-o /out/openimi", "./cmd/openimi"} {
		if !strings.Contains(buildCmd, want) {
			t.Errorf("go build command %q lacks %q", buildCmd, want)
		}
	}
	// Downloading modules in a layer before copying the sources keeps that
	// layer cached across code changes.
	if download < 0 || download > buildIdx {
		t.Errorf("build stage does not run `go mod download` before `go build`")
	}
	copyAllBeforeDownload := false
	for i, in := range build.instructions {
		if in.keyword == "COPY" && strings.HasPrefix(in.args, ". ") && i < download {
			copyAllBeforeDownload = true
		}
	}
	if copyAllBeforeDownload {
		t.Errorf("build stage copies the whole tree before `go mod download`, so the module layer is never reused")
	}
}

func TestDockerfile_RuntimeStageRunsTheBinaryAsNonRoot(t *testing.T) {
	stages := dockerStages(t)
	final := stages[len(stages)-1]

	var user, entrypoint string
	var copied, exposes8080 bool
	for _, in := range final.instructions {
		switch in.keyword {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "COPY":
			if strings.HasPrefix(in.args, "--from=") && strings.Contains(in.args, "/openimi") {
				copied = true
			}
		case "EXPOSE":
			exposes8080 = exposes8080 || slices.Contains(strings.Fields(in.args), "8080")
		}
	}
	// A distroless ":nonroot" base already runs as 65532, so an explicit USER
	// is only required when the base does not say so in its tag.
	nonRootBase := strings.Contains(final.image, ":nonroot")
	u, _, _ := strings.Cut(user, ":")
	switch {
	case user == "" && !nonRootBase:
		t.Errorf("runtime stage sets no USER and its base %q does not run as non-root", final.image)
	case user != "" && (u == "root" || u == "0"):
		t.Errorf("runtime stage runs as root (USER %s)", user)
	}
	if !copied {
		t.Errorf("runtime stage does not copy /openimi from the build stage")
	}
	if entrypoint != `["/openimi"]` {
		t.Errorf("runtime ENTRYPOINT = %s, want [\"/openimi\"] so compose `command:` picks the subcommand", entrypoint)
	}
	if !exposes8080 {
		t.Errorf("runtime stage does not EXPOSE 8080")
	}
}
