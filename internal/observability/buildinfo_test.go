package observability

import "testing"

func TestNewMetrics_PublishesTheBuildInfo(t *testing.T) {
	m, err := NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	families, err := m.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	want := Build()
	for _, f := range families {
		if f.GetName() != "openimi_build_info" {
			continue
		}
		if len(f.GetMetric()) != 1 {
			t.Fatalf("openimi_build_info has %d series, want 1", len(f.GetMetric()))
		}
		s := f.GetMetric()[0]
		labels := map[string]string{}
		for _, l := range s.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		if labels["revision"] != want.Revision || labels["version"] != want.Version || s.GetGauge().GetValue() != 1 {
			t.Errorf("openimi_build_info = %v %v, want revision %q version %q value 1", labels, s.GetGauge().GetValue(), want.Revision, want.Version)
		}
		return
	}
	t.Fatal("no openimi_build_info among the metrics")
}
