package load

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestTurn_PausesSpreadEvenlyAroundTheThinkTime(t *testing.T) {
	const think = 800 * time.Millisecond
	turn := Turn{think: think, rng: rand.New(rand.NewPCG(7, 0))}
	var total time.Duration
	shortest, longest := time.Duration(1<<62), time.Duration(0)
	const draws = 10_000
	for range draws {
		p := turn.pause()
		total += p
		shortest, longest = min(shortest, p), max(longest, p)
	}
	if shortest < 0 || longest >= 2*think {
		t.Errorf("pauses from %s to %s; want within [0, %s)", shortest, longest, 2*think)
	}
	// Officials must drift apart, not pause alike.
	if shortest > think/10 || longest < 2*think-think/10 {
		t.Errorf("pauses from %s to %s; want them spread over [0, %s)", shortest, longest, 2*think)
	}
	if mean := total / draws; mean < think*95/100 || mean > think*105/100 {
		t.Errorf("mean pause %s; want about %s", mean, think)
	}
}

func TestLimits_RefuseAThinkTimeOutOfBounds(t *testing.T) {
	for _, think := range []time.Duration{-time.Second, MaxThink + time.Second} {
		err := Limits{Concurrency: 1, Duration: time.Second, Count: 1, Think: think}.Check()
		if err == nil || !strings.Contains(err.Error(), "think time") {
			t.Errorf("think %s: %v; want a refusal naming the think time", think, err)
		}
	}
}
