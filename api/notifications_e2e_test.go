package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

func TestNotifications_AdministratorSeesItsAuthoritysFailedDeliveriesOnly(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"retail"}}}
	lda := sys.Authority(t, "IT", "Lazio", areas, []models.UserRole{{Role: models.LocalDataAdministrator}})
	handler := sys.Authority(t, "IT", "Lazio", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	other := sys.Authority(t, "IT", "Toscana", areas, []models.UserRole{{Role: models.LocalDataAdministrator}})

	enqueue := func(key, address string, authority systemtest.Official) {
		t.Helper()
		mails, err := mail.Notification{Kind: mail.PasswordReset, EventKey: key, Data: mail.Data{Path: "/reset-password"}}.
			Outbox(mail.Recipient{Address: address, Language: "it", AuthorityID: &authority.AuthorityID})
		if err != nil {
			t.Fatal(err)
		}
		if err := sys.Store.DB().Transaction(func(tx *gorm.DB) error { return models.EnqueueMail(tx, mails...) }); err != nil {
			t.Fatal(err)
		}
	}
	enqueue("test/bad-address", "not an address", lda)
	enqueue("test/good-address", systemtest.UniqueEmail("good"), lda)
	enqueue("test/other-authority", "also not an address", other)

	var page struct {
		Items []struct {
			Recipient string `json:"recipient"`
			LastError string `json:"last_error"`
		} `json:"items"`
		Total int `json:"total"`
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := sys.Do(t, http.MethodGet, "/api/v1/notifications?status=failed", lda.Token, nil)
		if r.Status != http.StatusOK {
			t.Fatalf("list failed: %d %s", r.Status, r.Body)
		}
		if err := json.Unmarshal(r.Body, &page); err != nil {
			t.Fatal(err)
		}
		if page.Total > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if page.Total != 1 || page.Items[0].Recipient != "not an address" || page.Items[0].LastError == "" {
		t.Fatalf("failed deliveries %+v, want exactly the bad address of this authority, with its error", page)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/notifications?status=failed", handler.Token, nil); r.Status != http.StatusForbidden {
		t.Errorf("a request handler lists failed deliveries: %d, want 403", r.Status)
	}
	if r := sys.Do(t, http.MethodGet, "/api/v1/notifications?status=sent", lda.Token, nil); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("status=sent: %d, want 422", r.Status)
	}
}
