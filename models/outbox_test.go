package models_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

func outboxRows(t *testing.T, store *models.Store) []models.OutboxMail {
	t.Helper()
	var rows []models.OutboxMail
	if err := store.DB().Order("id").Find(&rows).Error; err != nil {
		t.Fatal(err)
	}
	return rows
}

func enqueue(t *testing.T, store *models.Store, mails ...models.OutboxMail) {
	t.Helper()
	err := store.DB().Transaction(func(tx *gorm.DB) error { return models.EnqueueMail(tx, mails...) })
	if err != nil {
		t.Fatal(err)
	}
}

func sampleMail(event, recipient string) models.OutboxMail {
	return models.OutboxMail{
		EventKey:  event,
		Recipient: recipient,
		Language:  "de",
		Template:  "request_received",
		Data:      json.RawMessage(`{"Reference":"IMI-2026-000001","Path":"/requests/1"}`),
		ThreadKey: "IMI-2026-000001",
	}
}

func TestEnqueueMail_SameEventAndRecipientIsEnqueuedOnce(t *testing.T) {
	store := models.NewStore(testenv.Database(t))
	enqueue(t, store, sampleMail("request/1/sent", "handler@example.test"), sampleMail("request/1/sent", "other@example.test"))
	// A retried activity enqueues the same event again, the address
	// written in another case.
	enqueue(t, store, sampleMail("request/1/sent", "Handler@Example.test"))

	rows := outboxRows(t, store)
	if len(rows) != 2 {
		t.Fatalf("%d rows, want 2: %+v", len(rows), rows)
	}
	r := rows[0]
	if r.Status != models.MailPending || r.Attempts != 0 || r.Language != "de" || r.ThreadKey != "IMI-2026-000001" {
		t.Errorf("row = %+v, want a pending German mail in thread IMI-2026-000001", r)
	}
	var data map[string]string
	if err := json.Unmarshal(r.Data, &data); err != nil || data["Reference"] != "IMI-2026-000001" {
		t.Errorf("data = %s (%v), want the template data back", r.Data, err)
	}
}

func TestEnqueueMail_RolledBackEventLeavesNoMail(t *testing.T) {
	store := models.NewStore(testenv.Database(t))
	errEvent := errors.New("the event could not be recorded")
	err := store.DB().Transaction(func(tx *gorm.DB) error {
		if err := models.EnqueueMail(tx, sampleMail("request/1/sent", "handler@example.test")); err != nil {
			return err
		}
		return errEvent
	})
	if !errors.Is(err, errEvent) {
		t.Fatalf("transaction: %v", err)
	}
	if rows := outboxRows(t, store); len(rows) != 0 {
		t.Errorf("%d rows after rollback, want none", len(rows))
	}
}

func TestEnqueueMail_RefusesAMailWithoutRecipient(t *testing.T) {
	store := models.NewStore(testenv.Database(t))
	err := models.EnqueueMail(store.DB(), sampleMail("request/1/sent", " "))
	if err == nil {
		t.Fatal("enqueued a mail without recipient")
	}
}

func TestClaimDueMail_ConcurrentClaimsShareTheRowsWithoutOverlap(t *testing.T) {
	ctx := context.Background()
	url := testenv.DatabaseURL(t)
	const rows, claimers = 120, 4
	stores := make([]*models.Store, claimers)
	for i := range stores {
		db, err := models.Open(ctx, url, testenv.Logger(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = models.Close(db) })
		stores[i] = models.NewStore(db)
	}
	var mails []models.OutboxMail
	for i := range rows {
		mails = append(mails, sampleMail("event/"+fmt.Sprint(i), "handler@example.test"))
	}
	enqueue(t, stores[0], mails...)

	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for _, s := range stores {
		wg.Go(func() {
			for {
				claimed, err := s.ClaimDueMail(ctx, 7, time.Minute)
				if err != nil {
					t.Error(err)
					return
				}
				if len(claimed) == 0 {
					return
				}
				mu.Lock()
				for _, m := range claimed {
					seen[m.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(seen) != rows {
		t.Errorf("%d distinct rows claimed, want %d", len(seen), rows)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("row %d claimed %d times", id, n)
		}
	}
}

func TestClaimDueMail_AnExpiredLeaseIsClaimedAgainAndTheOldClaimCannotSettle(t *testing.T) {
	ctx := context.Background()
	store := models.NewStore(testenv.Database(t))
	enqueue(t, store, sampleMail("request/1/sent", "handler@example.test"))

	first, err := store.ClaimDueMail(ctx, 10, 300*time.Millisecond)
	if err != nil || len(first) != 1 {
		t.Fatalf("first claim: %v, %v", first, err)
	}
	if again, err := store.ClaimDueMail(ctx, 10, time.Minute); err != nil || len(again) != 0 {
		t.Fatalf("claimed a leased row: %v, %v", again, err)
	}

	// The first claimer "crashes"; the row is due again when its lease ends.
	var second []models.OutboxMail
	deadline := time.Now().Add(10 * time.Second)
	for len(second) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the row was not claimable after its lease ended")
		}
		time.Sleep(50 * time.Millisecond)
		if second, err = store.ClaimDueMail(ctx, 10, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if second[0].Attempts != 2 {
		t.Errorf("attempts = %d, want 2", second[0].Attempts)
	}
	if err := store.MarkMailSent(ctx, first[0], "<late@example.test>"); !errors.Is(err, models.ErrMailLeaseLost) {
		t.Errorf("settling with the expired claim: %v, want ErrMailLeaseLost", err)
	}
	if err := store.MarkMailSent(ctx, second[0], "<id@example.test>"); err != nil {
		t.Fatal(err)
	}
	r := outboxRows(t, store)[0]
	if r.Status != models.MailSent || r.MessageID != "<id@example.test>" || r.SentAt == nil || r.ClaimToken != nil {
		t.Errorf("row = %+v, want sent with the second claim's Message-ID", r)
	}
}

func TestRetryMailLater_TheMailIsNotDueBeforeItsDelay(t *testing.T) {
	ctx := context.Background()
	store := models.NewStore(testenv.Database(t))
	enqueue(t, store, sampleMail("request/1/sent", "handler@example.test"))
	claimed, err := store.ClaimDueMail(ctx, 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	if err := store.RetryMailLater(ctx, claimed[0], time.Hour, "421 try again later"); err != nil {
		t.Fatal(err)
	}
	if again, err := store.ClaimDueMail(ctx, 1, time.Minute); err != nil || len(again) != 0 {
		t.Fatalf("claimed a mail an hour early: %v, %v", again, err)
	}
	r := outboxRows(t, store)[0]
	if r.Status != models.MailPending || r.LastError != "421 try again later" || r.Attempts != 1 {
		t.Errorf("row = %+v, want pending after one attempt, with the reason", r)
	}
	if d := time.Until(r.NextAttemptAt); d < 50*time.Minute || d > 70*time.Minute {
		t.Errorf("next attempt in %v, want about an hour", d)
	}
}

func TestReleaseMail_ReturnsTheClaimUncounted(t *testing.T) {
	ctx := context.Background()
	store := models.NewStore(testenv.Database(t))
	enqueue(t, store, sampleMail("request/1/sent", "handler@example.test"))
	claimed, err := store.ClaimDueMail(ctx, 1, time.Minute)
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim: %v, %v", claimed, err)
	}
	if err := store.ReleaseMail(ctx, claimed[0]); err != nil {
		t.Fatal(err)
	}
	again, err := store.ClaimDueMail(ctx, 1, time.Minute)
	if err != nil || len(again) != 1 || again[0].Attempts != 1 {
		t.Fatalf("claim after release: %+v, %v; want the row due again at its first attempt", again, err)
	}
}

func TestFailedMail_ListsOnlyTheAuthoritysFailedDeliveriesNewestFirst(t *testing.T) {
	ctx := context.Background()
	store := models.NewStore(testenv.Database(t))
	mine, theirs := uuid.New(), uuid.New()
	var mails []models.OutboxMail
	for i := range 5 {
		m := sampleMail(fmt.Sprintf("event/%d", i), "handler@example.test")
		m.AuthorityID = &mine
		mails = append(mails, m)
	}
	other := sampleMail("event/other", "handler@example.test")
	other.AuthorityID = &theirs
	enqueue(t, store, append(mails, other)...)

	claimed, err := store.ClaimDueMail(ctx, 10, time.Minute)
	if err != nil || len(claimed) != 6 {
		t.Fatalf("claim: %d, %v", len(claimed), err)
	}
	var failedOrder []string
	for _, m := range claimed {
		switch m.EventKey {
		case "event/0": // delivered
			err = store.MarkMailSent(ctx, m, "<x@example.test>")
		case "event/1": // still being retried
			err = store.RetryMailLater(ctx, m, time.Hour, "421")
		default:
			err = store.MarkMailFailed(ctx, m, "550 no such user: "+m.EventKey)
			if m.AuthorityID != nil && *m.AuthorityID == mine {
				failedOrder = append([]string{m.EventKey}, failedOrder...)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		// Distinct failure times, so that the order is defined.
		time.Sleep(5 * time.Millisecond)
	}

	got, total, err := store.FailedMail(ctx, mine, models.MailPage{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(got) != 2 {
		t.Fatalf("total %d, page of %d; want 3 failed, a page of 2", total, len(got))
	}
	rest, _, err := store.FailedMail(ctx, mine, models.MailPage{Limit: 2, Offset: 2})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, m := range append(got, rest...) {
		order = append(order, m.EventKey)
		if m.Status != models.MailFailed || m.LastError != "550 no such user: "+m.EventKey {
			t.Errorf("row %+v, want failed with its error", m)
		}
	}
	if fmt.Sprint(order) != fmt.Sprint(failedOrder) {
		t.Errorf("order %v, want %v (newest failure first)", order, failedOrder)
	}
}

func TestRenewMailLease_ExtendsOnlyTheRowsTheClaimStillHolds(t *testing.T) {
	store := models.NewStore(testenv.Database(t))
	ctx := context.Background()
	enqueue(t, store, sampleMail("request/1/sent", "a@example.test"), sampleMail("request/1/sent", "b@example.test"),
		sampleMail("request/1/sent", "c@example.test"))
	claimed, err := store.ClaimDueMail(ctx, 2, time.Second)
	if err != nil || len(claimed) != 2 {
		t.Fatalf("claim: %d rows, %v", len(claimed), err)
	}
	token := *claimed[0].ClaimToken
	if *claimed[1].ClaimToken != token {
		t.Fatal("the rows of one claim carry different tokens")
	}
	if err := store.MarkMailSent(ctx, claimed[0], "<m@openimi.test>"); err != nil {
		t.Fatal(err)
	}
	ids := []int64{claimed[0].ID, claimed[1].ID}
	if n, err := store.RenewMailLease(ctx, uuid.New(), ids, time.Minute); err != nil || n != 0 {
		t.Errorf("renewal with another token: %d rows, %v; want none", n, err)
	}
	n, err := store.RenewMailLease(ctx, token, ids, time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("renewal: %d rows, %v; want the one still held (the other is settled)", n, err)
	}
	// By the database's clock: the held row's lease now ends a minute
	// from now, and it is not due; the settled row is untouched.
	var leaseLeft float64
	err = store.DB().Raw("SELECT extract(epoch FROM next_attempt_at - now()) FROM mail_outbox WHERE id = ?", claimed[1].ID).Scan(&leaseLeft).Error
	if err != nil || leaseLeft < 50 || leaseLeft > 60 {
		t.Errorf("lease left %.1fs (%v), want about 60s", leaseLeft, err)
	}
	if again, err := store.ClaimDueMail(ctx, 10, time.Minute); err != nil || len(again) != 1 || again[0].Recipient != "c@example.test" {
		t.Errorf("next claim: %+v, %v; want only the unclaimed row", again, err)
	}
	for _, r := range outboxRows(t, store) {
		if r.ID == claimed[0].ID && r.Status != models.MailSent {
			t.Errorf("settled row is %s after the renewal, want sent", r.Status)
		}
	}
}
