package api_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/openimi/openimi/system/systemtest"
)

func upload(t *testing.T, sys *systemtest.System, token, id, filename string, content []byte, personal string) (int, map[string]any) {
	t.Helper()
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	part, _ := w.CreateFormFile("file", filename)
	part.Write(content)
	w.WriteField("personal", personal)
	w.Close()
	req, _ := http.NewRequest(http.MethodPost, sys.URL+"/api/v1/requests/"+id+"/attachments", nil)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	out := sys.Send(t, req, body.Bytes())
	if out.Status >= 300 {
		return out.Status, nil
	}
	return out.Status, out.Map(t)
}

func TestAttachments_AreTypeCheckedBoundedAndRedactedLikePersonalData(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	requester, responder, _ := twoSides(t, sys)
	d := draft(t, sys, requester, responder)
	pdf := []byte("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n")

	status, certificate := upload(t, sys, requester.Token, d.ID, "Gewerbeanmeldung.pdf", pdf, "true")
	if status != http.StatusCreated || certificate["content_type"] != "application/pdf" {
		t.Fatalf("upload a PDF: %d %v", status, certificate)
	}
	if status, _ := upload(t, sys, requester.Token, d.ID, "note.txt", []byte("Öffentliche Auskunft"), "false"); status != http.StatusCreated {
		t.Fatalf("upload a text file: %d", status)
	}
	if status, _ := upload(t, sys, requester.Token, d.ID, "tool.exe", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff"), "false"); status != http.StatusUnsupportedMediaType {
		t.Errorf("an executable: %d, want 415", status)
	}
	if status, _ := upload(t, sys, requester.Token, d.ID, "huge.txt", []byte(strings.Repeat("a", 11<<20)), "false"); status != http.StatusRequestEntityTooLarge {
		t.Errorf("an 11 MiB file: %d, want 413", status)
	}
	if status, _ := upload(t, sys, requester.Token, d.ID, "x.pdf", pdf, "perhaps"); status != http.StatusUnprocessableEntity {
		t.Errorf("personal=perhaps: %d, want 422", status)
	}
	act(t, sys, requester, d.ID, "send", nil, http.StatusOK)

	count := func(who systemtest.Official) int {
		var out struct {
			Attachments []map[string]any `json:"attachments"`
		}
		sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID+"/attachments", who.Token, nil).JSON(t, &out)
		return len(out.Attachments)
	}
	download := "/api/v1/requests/" + d.ID + "/attachments/" + certificate["id"].(string)
	if n := count(responder); n != 0 {
		t.Errorf("before acceptance the responder lists %d files, want none", n)
	}
	if r := sys.Do(t, http.MethodGet, download, responder.Token, nil); r.Status != http.StatusNotFound {
		t.Errorf("before acceptance the responder downloads: %d, want 404", r.Status)
	}
	act(t, sys, responder, d.ID, "accept", nil, http.StatusOK)
	if n := count(responder); n != 2 {
		t.Errorf("after acceptance the responder lists %d files, want 2", n)
	}
	if v := sys.Do(t, http.MethodGet, "/api/v1/requests/"+d.ID, responder.Token, nil).Map(t); len(v["attachments"].([]any)) != 2 {
		t.Errorf("the request's view lists %v, want both files", v["attachments"])
	}
	r := sys.Do(t, http.MethodGet, download, responder.Token, nil)
	if r.Status != http.StatusOK || !bytes.Equal(r.Body, pdf) || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("download: %d %q", r.Status, r.Header.Get("Content-Type"))
	}
	var logged int64
	sys.Store.DB().Raw("SELECT count(*) FROM personal_data_access_log WHERE request_id = ? AND what LIKE 'attachment %'", d.ID).Scan(&logged)
	if logged != 1 {
		t.Errorf("%d logged downloads of the personal file, want 1", logged)
	}
	if err := sys.Store.DB().Exec("UPDATE personal_data_access_log SET reason = 'tampered'").Error; err == nil {
		t.Error("the access log accepted an UPDATE")
	}
	if err := sys.Store.DB().Exec("DELETE FROM personal_data_access_log").Error; err == nil {
		t.Error("the access log accepted a DELETE")
	}
}
