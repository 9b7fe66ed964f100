package api_test

import (
	"encoding/csv"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

type auditExportOut struct {
	Reference    string `json:"reference"`
	PersonalData string `json:"personal_data"`
	Timeline     []struct {
		Position int     `json:"position"`
		Kind     string  `json:"kind"`
		Text     *string `json:"text"`
		Redacted bool    `json:"redacted"`
		Hash     string  `json:"hash"`
	} `json:"timeline"`
	AccessLog []struct {
		Position int    `json:"position"`
		User     string `json:"user"`
		What     string `json:"what"`
		Hash     string `json:"hash"`
	} `json:"access_log"`
	ChainsIntact bool  `json:"chains_intact"`
	Breaks       []any `json:"breaks"`
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

func TestAuditExport_TheHelpdeskAndBothNationalCoordinatorsGetTheChainedTrailOthersDoNot(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	c := newSuiteCast(t, sys)
	const marker = "Ax9AUDITMARKERq"
	r := c.requestIn(t, "ACCEPTED", marker)
	if resp := sys.Do(t, http.MethodGet, "/api/v1/requests/"+r.ID, c.requester.Token, nil); resp.Status != http.StatusOK {
		t.Fatalf("the requester reads its request: %d %s", resp.Status, resp.Body)
	}
	path := "/api/v1/requests/" + r.ID + "/audit-export"

	exportAs := func(token, query string) (auditExportOut, string) {
		t.Helper()
		resp := sys.Do(t, http.MethodGet, path+query, token, nil)
		if resp.Status != http.StatusOK {
			t.Fatalf("export%s: %d %s", query, resp.Status, resp.Body)
		}
		var out auditExportOut
		resp.JSON(t, &out)
		if !out.ChainsIntact || len(out.Breaks) != 0 || len(out.Timeline) < 3 || len(out.AccessLog) == 0 {
			t.Fatalf("export%s = %+v, want intact chains with the timeline and the reads", query, out)
		}
		for i, e := range out.Timeline {
			if e.Position != i+1 || !sha256Hex.MatchString(e.Hash) {
				t.Errorf("timeline entry %d: position %d, hash %q", i, e.Position, e.Hash)
			}
		}
		for i, e := range out.AccessLog {
			if e.Position != i+1 || !sha256Hex.MatchString(e.Hash) {
				t.Errorf("access-log entry %d: position %d, hash %q", i, e.Position, e.Hash)
			}
		}
		return out, string(resp.Body)
	}

	// The helpdesk: the whole trail, never a personal text.
	out, body := exportAs(c.helpdesk, "")
	if strings.Contains(body, marker) || out.PersonalData != "role_required" {
		t.Errorf("the helpdesk's export shows personal data (%s):\n%s", out.PersonalData, body)
	}
	redacted := 0
	for _, e := range out.Timeline {
		if e.Redacted {
			redacted++
		}
	}
	if redacted == 0 {
		t.Error("the helpdesk's export marks no text as redacted, want the acceptance's")
	}

	// A national coordinator without a reason: the same; with one: the
	// texts, and its own read logged in the export.
	if _, body := exportAs(c.plCoord.Token, ""); strings.Contains(body, marker) {
		t.Errorf("a coordinator without a reason sees personal data:\n%s", body)
	}
	out, body = exportAs(c.deCoord.Token, "?reason=data+protection+audit+of+the+case")
	if !strings.Contains(body, marker) || out.PersonalData != "shown" {
		t.Errorf("the coordinator with a reason does not see the texts (%s):\n%s", out.PersonalData, body)
	}
	last := out.AccessLog[len(out.AccessLog)-1]
	if last.User != c.deCoord.UserID.String() || last.What != "GET audit export" {
		t.Errorf("last access-log entry %+v, want the coordinator's export", last)
	}

	// CSV: a header and one row per entry.
	resp := sys.Do(t, http.MethodGet, path+"?format=csv", c.plCoord.Token, nil)
	if resp.Status != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV export: %d %s", resp.Status, resp.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(resp.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1+len(out.Timeline)+len(out.AccessLog) || rows[0][0] != "table" || rows[0][len(rows[0])-1] != "hash" ||
		rows[1][0] != models.TimelineTable || !sha256Hex.MatchString(rows[1][len(rows[1])-1]) {
		t.Errorf("CSV export has %d rows starting %v / %v, want a header and %d entries", len(rows), rows[0], rows[1], len(out.Timeline)+len(out.AccessLog))
	}
	if strings.Contains(string(resp.Body), marker) {
		t.Error("the CSV export without a reason shows personal data")
	}

	// The request's officials are refused; anyone else is told nothing.
	if resp := sys.Do(t, http.MethodGet, path, c.requester.Token, nil); resp.Status != http.StatusForbidden {
		t.Errorf("the requesting official exports: %d, want 403", resp.Status)
	}
	outsider := sys.Authority(t, "FR", "", []models.AuthorityArea{{AreaCode: "services"}}, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	frCoord := sys.NationalCoordinator(t, "FR")
	for name, token := range map[string]string{"an official of a third country": outsider.Token, "a third country's coordinator": frCoord.Token} {
		if resp := sys.Do(t, http.MethodGet, path, token, nil); resp.Status != http.StatusNotFound || strings.Contains(string(resp.Body), marker) {
			t.Errorf("%s exports: %d, want 404", name, resp.Status)
		}
	}
	for _, query := range []string{"?format=xml", "?format="} {
		if resp := sys.Do(t, http.MethodGet, path+query, c.helpdesk, nil); resp.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: %d, want 422", query, resp.Status)
		}
	}
}
