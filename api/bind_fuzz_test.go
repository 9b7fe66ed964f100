package api

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gin-gonic/gin"
)

// FuzzBindJSON feeds arbitrary bodies to the API's JSON binding: it never
// panics, and it either binds (writing nothing) or answers one of its
// refusals (400, 413, 422) in the error shape, before any handler runs.
func FuzzBindJSON(f *testing.F) {
	for _, s := range []string{
		`{"text":"hello","text_lang":"en"}`, `{`, `null`, `[]`, `{"text":"a\u0000b"}`, "{\"text\":\"\xff\"}",
		`{"text":"x","unknown":1}`, `{"text":"x"}{"text":"y"}`, `{"rating":1e309}`, `{"items":[[[[[[]]]]]]}`, ``,
	} {
		f.Add([]byte(s))
	}
	gin.SetMode(gin.ReleaseMode)
	h := &handlers{}
	f.Fuzz(func(t *testing.T, body []byte) {
		rec := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(rec)
		c.Request = httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body))
		c.Request.Body = http.MaxBytesReader(rec, c.Request.Body, maxBodyBytes)
		var dst struct {
			Text     string            `json:"text" binding:"omitempty,max=100"`
			TextLang string            `json:"text_lang" binding:"omitempty,len=2"`
			Rating   *int              `json:"rating" binding:"omitempty,min=1,max=5"`
			Items    []any             `json:"items"`
			Personal map[string]string `json:"personal_data"`
		}
		if h.bindJSON(c, &dst) {
			if rec.Body.Len() != 0 || c.IsAborted() {
				t.Fatalf("bound, yet answered %d %q", rec.Code, rec.Body.String())
			}
			return
		}
		switch rec.Code {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity:
		default:
			t.Fatalf("refused with %d %q", rec.Code, rec.Body.String())
		}
		if !bytes.Contains(rec.Body.Bytes(), []byte(`"error"`)) {
			t.Fatalf("refusal %q is not in the error shape", rec.Body.String())
		}
	})
}
