package main_test

import (
	"strings"
	"testing"
)

func TestLoad_RefusesASystemOffThisMachineWithOneClearLine(t *testing.T) {
	for _, scenario := range []string{"lifecycle", "floor", "search", "timers"} {
		out, err := run(t, nil, "load", scenario, "--url", "http://imi.example.eu")
		if err == nil {
			t.Errorf("load %s drove a remote system", scenario)
			continue
		}
		if line := strings.TrimSpace(out); strings.Count(line, "\n") != 0 || !strings.Contains(line, "not a loopback address") {
			t.Errorf("load %s: %q, want one line saying the address is not a loopback one", scenario, out)
		}
	}
}
