package cases

import "testing"

func TestStats_BandsFollowTheThresholdsOfTheScoreboard(t *testing.T) {
	tests := []struct {
		name string
		band func(float64) Band
		in   float64
		want Band
	}{
		{"accepted 80 %", shareBand, 80, Green},
		{"accepted 79.9 %", shareBand, 79.9, Yellow},
		{"accepted 60 %", shareBand, 60, Yellow},
		{"accepted 59.9 %", shareBand, 59.9, Red},
		{"answer in 15.9 days", answerDaysBand, 15.9, Green},
		{"answer in 16 days", answerDaysBand, 16, Yellow},
		{"answer in 25 days", answerDaysBand, 25, Yellow},
		{"answer in 25.1 days", answerDaysBand, 25.1, Red},
		{"negative 4.9 %", negativeBand, 4.9, Green},
		{"negative 5 %", negativeBand, 5, Yellow},
		{"negative 14.9 %", negativeBand, 14.9, Yellow},
		{"negative 15 %", negativeBand, 15, Red},
	}
	for _, c := range tests {
		if got := c.band(c.in); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

func TestStats_AShareOfNoRequestsHasNoValueAndNoBand(t *testing.T) {
	if in := share(0, 0, shareBand); in.Value != nil || in.Band != "" {
		t.Errorf("share of nothing = %+v", in)
	}
	if in := share(2, 3, shareBand); in.Value == nil || *in.Value != 66.7 || in.Band != Yellow {
		t.Errorf("2 of 3 = %+v, want 66.7 %% yellow", in)
	}
	if in := share(1, 4, nil); in.Value == nil || *in.Value != 25 || in.Band != "" {
		t.Errorf("a share without thresholds = %+v", in)
	}
}
