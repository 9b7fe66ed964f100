package deploy

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/openimi/openimi/internal/devstack"
)

const chartPath = repoRoot + "/deploy/helm/openimi"

// helmBinary is the helm of `make cluster-tools`. Without it the chart's
// tests are skipped, except under `make test-cluster`, which builds it.
func helmBinary(t *testing.T) string {
	t.Helper()
	tools, err := devstack.FindToolsDir()
	if err != nil {
		t.Fatal(err)
	}
	helm := filepath.Join(tools, "helm")
	if _, err := os.Stat(helm); err != nil {
		if os.Getenv("OPENIMI_TEMPORAL") == "server" {
			t.Fatalf("helm is not built: %v", err)
		}
		t.Skipf("helm is not built (make cluster-tools): %v", err)
	}
	return helm
}

// manifest is the part of a Kubernetes object these tests read.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name        string            `yaml:"name"`
		Labels      map[string]string `yaml:"labels"`
		Annotations map[string]string `yaml:"annotations"`
	} `yaml:"metadata"`
	Spec struct {
		Replicas *int `yaml:"replicas"`
		Selector struct {
			MatchLabels map[string]string `yaml:"matchLabels"`
		} `yaml:"selector"`
		Template struct {
			Metadata struct {
				Labels map[string]string `yaml:"labels"`
			} `yaml:"metadata"`
			Spec podSpec `yaml:"spec"`
		} `yaml:"template"`
		// Service
		Ports []struct {
			Name       string `yaml:"name"`
			Port       int    `yaml:"port"`
			TargetPort any    `yaml:"targetPort"`
		} `yaml:"ports"`
		// HorizontalPodAutoscaler
		ScaleTargetRef struct {
			Kind string `yaml:"kind"`
			Name string `yaml:"name"`
		} `yaml:"scaleTargetRef"`
		MinReplicas int `yaml:"minReplicas"`
		MaxReplicas int `yaml:"maxReplicas"`
	} `yaml:"spec"`
}

type podSpec struct {
	RestartPolicy                 string         `yaml:"restartPolicy"`
	TerminationGracePeriodSeconds int            `yaml:"terminationGracePeriodSeconds"`
	Containers                    []container    `yaml:"containers"`
	Volumes                       []volume       `yaml:"volumes"`
	SecurityContext               map[string]any `yaml:"securityContext"`
}

type volume struct {
	Name   string `yaml:"name"`
	Secret *struct {
		SecretName string `yaml:"secretName"`
	} `yaml:"secret"`
}

type container struct {
	Name  string   `yaml:"name"`
	Image string   `yaml:"image"`
	Args  []string `yaml:"args"`
	Env   []struct {
		Name      string  `yaml:"name"`
		Value     *string `yaml:"value"`
		ValueFrom *struct {
			SecretKeyRef *struct {
				Name     string `yaml:"name"`
				Key      string `yaml:"key"`
				Optional bool   `yaml:"optional"`
			} `yaml:"secretKeyRef"`
		} `yaml:"valueFrom"`
	} `yaml:"env"`
	Ports []struct {
		Name          string `yaml:"name"`
		ContainerPort int    `yaml:"containerPort"`
	} `yaml:"ports"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	ReadinessProbe *probe `yaml:"readinessProbe"`
	StartupProbe   *probe `yaml:"startupProbe"`
	Resources      struct {
		Requests map[string]string `yaml:"requests"`
		Limits   map[string]string `yaml:"limits"`
	} `yaml:"resources"`
	VolumeMounts []struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	} `yaml:"volumeMounts"`
}

type probe struct {
	HTTPGet *struct {
		Path string `yaml:"path"`
		Port any    `yaml:"port"`
	} `yaml:"httpGet"`
}

// env returns the literal value of a variable, and whether it is set at all.
func (c container) env(name string) (value string, set bool) {
	for _, e := range c.Env {
		if e.Name == name {
			if e.Value != nil {
				return *e.Value, true
			}
			return "", true
		}
	}
	return "", false
}

func (c container) secretRef(name string) (secret, key string) {
	for _, e := range c.Env {
		if e.Name == name && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			return e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key
		}
	}
	return "", ""
}

// portOf resolves a probe's port, given by name or number.
func (c container) portOf(p any) int {
	switch v := p.(type) {
	case int:
		return v
	case string:
		for _, cp := range c.Ports {
			if cp.Name == v {
				return cp.ContainerPort
			}
		}
	}
	return 0
}

// renderChart runs `helm template` with the given --set values.
func renderChart(t *testing.T, sets ...string) ([]manifest, error) {
	t.Helper()
	args := []string{"template", "openimi", chartPath}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	cmd := exec.Command(helmBinary(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.New(stderr.String())
	}
	var docs []manifest
	dec := yaml.NewDecoder(bytes.NewReader(out))
	for {
		var m manifest
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("helm template's output does not decode: %v\n%s", err, out)
		}
		if m.Kind != "" {
			docs = append(docs, m)
		}
	}
	return docs, nil
}

func mustRender(t *testing.T, sets ...string) []manifest {
	t.Helper()
	docs, err := renderChart(t, sets...)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	return docs
}

func find(t *testing.T, docs []manifest, kind, suffix string) manifest {
	t.Helper()
	for _, d := range docs {
		if d.Kind == kind && strings.HasSuffix(d.Metadata.Name, suffix) {
			return d
		}
	}
	t.Fatalf("no %s named *%s in the rendered chart", kind, suffix)
	return manifest{}
}

func onlyContainer(t *testing.T, m manifest) container {
	t.Helper()
	cs := m.Spec.Template.Spec.Containers
	if len(cs) != 1 {
		t.Fatalf("%s %s has %d containers, want 1", m.Kind, m.Metadata.Name, len(cs))
	}
	return cs[0]
}

func addrPort(t *testing.T, c container, variable string) int {
	t.Helper()
	v, _ := c.env(variable)
	_, p, ok := strings.Cut(v, ":")
	n, err := strconv.Atoi(p)
	if !ok || err != nil {
		t.Fatalf("%s: %s = %q is not :port", c.Name, variable, v)
	}
	return n
}

func TestHelm_ChartLints(t *testing.T) {
	out, err := exec.Command(helmBinary(t), "lint", "--strict", chartPath).CombinedOutput()
	if err != nil {
		t.Fatalf("helm lint --strict: %v\n%s", err, out)
	}
}

func TestHelm_MigrateRunsAsAHookBeforeInstallAndUpgrade(t *testing.T) {
	job := find(t, mustRender(t), "Job", "-migrate")
	hooks := strings.Split(job.Metadata.Annotations["helm.sh/hook"], ",")
	slices.Sort(hooks)
	if !slices.Equal(hooks, []string{"pre-install", "pre-upgrade"}) {
		t.Errorf("migrate Job hooks = %v, want pre-install and pre-upgrade", hooks)
	}
	if job.Spec.Template.Spec.RestartPolicy != "Never" && job.Spec.Template.Spec.RestartPolicy != "OnFailure" {
		t.Errorf("migrate Job restartPolicy = %q", job.Spec.Template.Spec.RestartPolicy)
	}
	if c := onlyContainer(t, job); !slices.Equal(c.Args, []string{"migrate"}) {
		t.Errorf("migrate Job runs %v, want [migrate]", c.Args)
	}
}

func TestHelm_APIProbesAndPorts(t *testing.T) {
	docs := mustRender(t)
	api := find(t, docs, "Deployment", "-api")
	c := onlyContainer(t, api)
	if !slices.Equal(c.Args, []string{"api"}) {
		t.Errorf("api runs %v", c.Args)
	}
	httpPort, metricsPort := addrPort(t, c, "HTTP_ADDR"), addrPort(t, c, "METRICS_ADDR")
	if httpPort != 8080 || metricsPort != 9090 {
		t.Errorf("HTTP_ADDR port %d, METRICS_ADDR port %d, want 8080 and 9090", httpPort, metricsPort)
	}
	for name, p := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		want := map[string]string{"liveness": "/healthz", "readiness": "/readyz"}[name]
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Path != want || c.portOf(p.HTTPGet.Port) != httpPort {
			t.Errorf("api %s probe = %+v, want GET %s on %d", name, p, want, httpPort)
		}
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("api resources = %+v: an HPA needs CPU requests, the node a memory limit", c.Resources)
	}
	svc := find(t, docs, "Service", "-api")
	if len(svc.Spec.Ports) != 1 || c.portOf(svc.Spec.Ports[0].TargetPort) != httpPort {
		t.Errorf("api Service ports = %+v, want one to the HTTP port only (metrics stay inside)", svc.Spec.Ports)
	}
	for k, v := range api.Spec.Selector.MatchLabels {
		if api.Spec.Template.Metadata.Labels[k] != v {
			t.Errorf("api pods lack the selector's label %s=%s", k, v)
		}
	}
	for _, d := range docs {
		if d.Kind == "HorizontalPodAutoscaler" {
			t.Errorf("an HPA is rendered although api.autoscaling.enabled is false")
		}
	}
}

func TestHelm_APIScalesWithAnHPAWhenAsked(t *testing.T) {
	docs := mustRender(t, "api.autoscaling.enabled=true", "api.autoscaling.maxReplicas=7")
	hpa := find(t, docs, "HorizontalPodAutoscaler", "-api")
	api := find(t, docs, "Deployment", "-api")
	if hpa.Spec.ScaleTargetRef.Kind != "Deployment" || hpa.Spec.ScaleTargetRef.Name != api.Metadata.Name || hpa.Spec.MaxReplicas != 7 {
		t.Errorf("HPA = %+v, want it to scale %s up to 7", hpa.Spec, api.Metadata.Name)
	}
	if api.Spec.Replicas != nil {
		t.Errorf("api Deployment sets replicas (%d) beside an HPA; each upgrade would reset the HPA's count", *api.Spec.Replicas)
	}
}

func TestHelm_WorkerOutlastsItsDrain(t *testing.T) {
	worker := find(t, mustRender(t), "Deployment", "-worker")
	c := onlyContainer(t, worker)
	port := addrPort(t, c, "WORKER_HTTP_ADDR")
	for name, p := range map[string]*probe{"liveness": c.LivenessProbe, "readiness": c.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || c.portOf(p.HTTPGet.Port) != port {
			t.Errorf("worker %s probe = %+v, want it on WORKER_HTTP_ADDR's port %d", name, p, port)
		}
	}
	v, _ := c.env("SHUTDOWN_TIMEOUT")
	drain, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("SHUTDOWN_TIMEOUT = %q: %v", v, err)
	}
	if grace := time.Duration(worker.Spec.Template.Spec.TerminationGracePeriodSeconds) * time.Second; grace <= drain {
		t.Errorf("worker terminationGracePeriodSeconds = %v, not longer than SHUTDOWN_TIMEOUT %v: the kubelet would kill a draining worker", grace, drain)
	}
}

func TestHelm_SecretsComeFromKubernetesSecretsAndEveryProcessAgrees(t *testing.T) {
	docs := mustRender(t, "secrets.existingSecret=openimi-prod")
	var envs []container
	for _, suffix := range []string{"-migrate", "-api", "-worker"} {
		kind := "Deployment"
		if suffix == "-migrate" {
			kind = "Job"
		}
		envs = append(envs, onlyContainer(t, find(t, docs, kind, suffix)))
	}
	for _, c := range envs {
		for _, name := range []string{"DATABASE_URL", "OPENIMI_BOOTSTRAP_PASSWORD", "SMTP_URL", "TEMPORAL_API_KEY"} {
			if secret, key := c.secretRef(name); secret != "openimi-prod" || key != name {
				t.Errorf("%s: %s comes from secret %q key %q, want the Secret openimi-prod", c.Name, name, secret, key)
			}
		}
		for _, name := range []string{"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_TASK_QUEUE", "PUBLIC_URL"} {
			got, _ := c.env(name)
			want, _ := envs[0].env(name)
			if got == "" || got != want {
				t.Errorf("%s: %s = %q, migrate has %q", c.Name, name, got, want)
			}
		}
	}
	if _, err := renderChart(t, "secrets.existingSecret="); err == nil || !strings.Contains(err.Error(), "secrets.existingSecret") {
		t.Errorf("the chart renders without a Secret (err %v); it must refuse", err)
	}
}

func TestHelm_TemporalTLSFilesAreMountedWhereTheVariablesPoint(t *testing.T) {
	docs := mustRender(t, "temporal.tls.enabled=true", "temporal.tls.existingSecret=temporal-client", "temporal.tls.serverName=temporal.example.org")
	// migrate too: every process reads the certificates at start.
	for _, suffix := range []string{"-migrate", "-api", "-worker"} {
		kind := "Deployment"
		if suffix == "-migrate" {
			kind = "Job"
		}
		d := find(t, docs, kind, suffix)
		c := onlyContainer(t, d)
		if v, _ := c.env("TEMPORAL_TLS"); v != "true" {
			t.Errorf("%s: TEMPORAL_TLS = %q", suffix, v)
		}
		if v, _ := c.env("TEMPORAL_TLS_SERVER_NAME"); v != "temporal.example.org" {
			t.Errorf("%s: TEMPORAL_TLS_SERVER_NAME = %q", suffix, v)
		}
		var mount string
		for _, m := range c.VolumeMounts {
			if m.Name == "temporal-tls" {
				mount = m.MountPath
			}
		}
		secretMounted := slices.ContainsFunc(d.Spec.Template.Spec.Volumes, func(v volume) bool {
			return v.Name == "temporal-tls" && v.Secret != nil && v.Secret.SecretName == "temporal-client"
		})
		if mount == "" || !secretMounted {
			t.Fatalf("%s: the Secret temporal-client is not mounted", suffix)
		}
		for _, name := range []string{"TEMPORAL_TLS_CLIENT_CERT_PATH", "TEMPORAL_TLS_CLIENT_KEY_PATH", "TEMPORAL_TLS_SERVER_CA_CERT_PATH"} {
			if v, _ := c.env(name); !strings.HasPrefix(v, mount+"/") {
				t.Errorf("%s: %s = %q, not under the mounted %s", suffix, name, v, mount)
			}
		}
	}
}
