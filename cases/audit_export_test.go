package cases

import (
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestAuditExportCSV_OneRowPerEntryAndNoTextTakenForAFormula(t *testing.T) {
	formula, user := "=HYPERLINK(\"http://x\")", uuid.New()
	e := AuditExport{
		Timeline: []AuditTimelineEntry{{Position: 1, ID: 7, Kind: "message", At: time.Unix(0, 0).UTC(), Text: &formula,
			Details: map[string]any{"n": 1}, TextDigest: "ab", Hash: "cd"}},
		AccessLog: []AuditAccessEntry{{Position: 1, ID: 9, AccessLogEntry: AccessLogEntry{User: user, What: "-read", Reason: "coordinator: @x"}, Hash: "ef"}},
	}
	rows := e.CSVRecords()
	if len(rows) != 3 {
		t.Fatalf("%d rows, want a header and two entries", len(rows))
	}
	for _, r := range rows {
		if len(r) != len(auditExportCSVHeader) {
			t.Fatalf("row %v has %d columns, want %d", r, len(r), len(auditExportCSVHeader))
		}
	}
	if got := rows[1][7]; got != "'"+formula {
		t.Errorf("the event's text is %q, want it behind an apostrophe", got)
	}
	if rows[2][4] != "'-read" || rows[2][7] != "coordinator: @x" || rows[2][5] != user.String() || rows[2][12] != "ef" {
		t.Errorf("the read's row is %v", rows[2])
	}
	if rows[1][10] != `{"n":1}` || rows[1][11] != "ab" || rows[1][12] != "cd" {
		t.Errorf("the event's row is %v", rows[1])
	}
}
