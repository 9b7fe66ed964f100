package cases

import (
	"slices"
	"testing"
)

func TestCSVRecords_OneColumnPerHeaderAndAnUnmeasuredIndicatorLeftEmpty(t *testing.T) {
	avg := 3.5
	board := Scoreboard{Rows: []ScoreboardRow{{
		Direction: "received", Group: "PL", Requests: 4,
		AverageDaysToAnswer: Indicator{Value: &avg, Band: "green"}, Open: 2, Overdue: 1,
	}}}
	records := board.CSVRecords()
	if len(records) != 2 {
		t.Fatalf("%d records, want a header and one row", len(records))
	}
	header, row := records[0], records[1]
	if len(row) != len(header) {
		t.Fatalf("the row has %d columns, the header %d", len(row), len(header))
	}
	at := func(name string) string { return row[slices.Index(header, name)] }
	if got := at("average_days_to_answer"); got != "3.5" {
		t.Errorf("the average reads %q", got)
	}
	if got := at("average_days_to_answer_band"); got != "green" {
		t.Errorf("the average's band reads %q", got)
	}
	if got := at("accepted_within_7_days"); got != "" {
		t.Errorf("an unmeasured indicator reads %q", got)
	}
	if got := at("open") + "," + at("overdue") + "," + at("escalated"); got != "2,1,0" {
		t.Errorf("the counts read %q", got)
	}
}
