package models_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

// auditFixture is a sent request with a timeline (one personal text) and
// an access log, written through the store as the application writes them.
type auditFixture struct {
	ctx     context.Context
	db      *gorm.DB
	store   *models.Store
	request uuid.UUID
	to      uuid.UUID
	user    uuid.UUID
}

func newAuditFixture(t *testing.T) auditFixture {
	t.Helper()
	ctx := context.Background()
	db := testenv.Database(t)
	store := models.NewStore(db)
	de, user := authority(t, ctx, store, "DE", "Bayern")
	pl, _ := authority(t, ctx, store, "PL", "Pomorskie")
	r := models.Request{RequestingAuthority: de.ID, RespondingAuthority: pl.ID, CreatedBy: user,
		AreaCode: "services", Subject: "fixture", SubjectLang: "en", Questions: models.StringArray{"q"}, NeededBy: on(20)}
	if err := store.CreateDraft(ctx, &r, models.PersonalFields{}); err != nil {
		t.Fatal(err)
	}
	f := auditFixture{ctx: ctx, db: db, store: store, request: r.ID, to: pl.ID, user: user}
	f.event(t, "sent", "", false)
	f.event(t, "accept", "", false)
	f.event(t, "message", "Jan Kowalski was registered in Gdańsk in 2019.", false)
	for i := range 3 {
		f.read(t, fmt.Sprintf("GET /api/v1/requests/:id #%d", i))
	}
	return f
}

func (f auditFixture) event(t *testing.T, kind, text string, deletePersonal bool) {
	t.Helper()
	ev := models.RequestEventRecord{RequestID: f.request, Key: f.request.String() + "/" + kind + "/" + uuid.NewString()[:8], Kind: kind,
		At: time.Now(), ActorUser: &f.user, Text: text, TextLang: "en", State: "ACCEPTED", RespondingAuthority: f.to, Details: map[string]any{"n": 1, "a": "b"},
		DeletePersonalData: deletePersonal}
	if _, err := f.store.RecordRequestEvent(f.ctx, ev, nil); err != nil {
		t.Fatal(err)
	}
}

func (f auditFixture) read(t *testing.T, what string) {
	t.Helper()
	err := f.store.LogPersonalDataAccess(f.ctx, models.AccessLogEntry{RequestID: f.request, UserID: f.user, What: what, Reason: "coordinator: a complaint"})
	if err != nil {
		t.Fatal(err)
	}
}

func (f auditFixture) verify(t *testing.T) models.AuditVerification {
	t.Helper()
	v, err := f.store.VerifyAuditChains(f.ctx, &f.request)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// exec runs SQL as the tables' owner would, triggers and all.
func (f auditFixture) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if err := f.db.Exec(sql, args...).Error; err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

func TestAuditChain_EveryEntryIsChainedAndTheChainsHold(t *testing.T) {
	f := newAuditFixture(t)
	v := f.verify(t)
	if len(v.Breaks) != 0 || v.Entries != 6 || len(v.Heads) != 2 {
		t.Fatalf("verification = %+v, want 6 entries in 2 intact chains", v)
	}
	events, reads, err := f.store.AuditTrail(f.ctx, f.request)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 3 || len(reads) != 3 {
		t.Fatalf("trail has %d events and %d reads, want 3 and 3", len(events), len(reads))
	}
	for i, e := range reads {
		if e.ChainSeq != i+1 || len(e.Hash) != 32 {
			t.Errorf("read %d: position %d, hash %x; want position %d and a SHA-256", i, e.ChainSeq, e.Hash, i+1)
		}
	}
}

func TestAuditChain_ConcurrentWritersOfOneRequestNeverFork(t *testing.T) {
	f := newAuditFixture(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			errs <- f.store.LogPersonalDataAccess(f.ctx, models.AccessLogEntry{RequestID: f.request, UserID: f.user, What: fmt.Sprintf("read %d", i)})
		}()
		go func() {
			defer wg.Done()
			_, err := f.store.RecordRequestEvent(f.ctx, models.RequestEventRecord{RequestID: f.request, Key: fmt.Sprintf("%s/c%d", f.request, i),
				Kind: "reminder", At: time.Now(), State: "ACCEPTED", RespondingAuthority: f.to}, nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	v := f.verify(t)
	if len(v.Breaks) != 0 || v.Entries != 46 {
		t.Fatalf("verification = %+v, want 46 entries and no break", v)
	}
}

func TestAuditChain_AnAlteredAccessLogEntryIsCaught(t *testing.T) {
	f := newAuditFixture(t)
	_, reads, err := f.store.AuditTrail(f.ctx, f.request)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.Exec("UPDATE personal_data_access_log SET reason = 'nothing to see' WHERE id = ?", reads[1].ID).Error; err == nil {
		t.Fatal("the access log took an update, want it refused as append-only")
	}
	// As an owner could: the append-only trigger set aside.
	f.exec(t, "ALTER TABLE personal_data_access_log DISABLE TRIGGER personal_data_access_log_append_only")
	f.exec(t, "UPDATE personal_data_access_log SET reason = 'nothing to see' WHERE id = ?", reads[1].ID)
	f.exec(t, "ALTER TABLE personal_data_access_log ENABLE TRIGGER personal_data_access_log_append_only")

	v := f.verify(t)
	if len(v.Breaks) != 1 {
		t.Fatalf("breaks = %+v, want exactly the altered entry's", v.Breaks)
	}
	b := v.Breaks[0]
	if b.Table != models.AccessLogTable || b.EntryID != reads[1].ID || b.RequestID != f.request || b.Expected == b.Stored {
		t.Fatalf("break = %+v, want access log entry %d with differing hashes", b, reads[1].ID)
	}
}

func TestAuditChain_AnAlteredOrRemovedTimelineEntryIsCaught(t *testing.T) {
	f := newAuditFixture(t)
	events, _, err := f.store.AuditTrail(f.ctx, f.request)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.Exec("UPDATE request_events SET kind = 'close' WHERE id = ?", events[1].ID).Error; err == nil {
		t.Fatal("the timeline took a changed kind, want it refused")
	}
	f.exec(t, "ALTER TABLE request_events DISABLE TRIGGER request_events_erase_only")
	f.exec(t, "UPDATE request_events SET at = at + interval '1 second' WHERE id = ?", events[1].ID)
	f.exec(t, "ALTER TABLE request_events ENABLE TRIGGER request_events_erase_only")
	v := f.verify(t)
	if len(v.Breaks) != 1 || v.Breaks[0].Table != models.TimelineTable || v.Breaks[0].EntryID != events[1].ID {
		t.Fatalf("breaks = %+v, want timeline entry %d", v.Breaks, events[1].ID)
	}

	g := newAuditFixture(t)
	events, _, err = g.store.AuditTrail(g.ctx, g.request)
	if err != nil {
		t.Fatal(err)
	}
	g.exec(t, "DELETE FROM request_events WHERE id = ?", events[1].ID)
	v = g.verify(t)
	if len(v.Breaks) != 1 || v.Breaks[0].EntryID != events[2].ID || v.Breaks[0].Expected != "position 2" {
		t.Fatalf("breaks = %+v, want the entry after the removed one, at the missing position", v.Breaks)
	}
}

func TestAuditChain_RetentionDeletesTextsAndTheChainStillHolds(t *testing.T) {
	f := newAuditFixture(t)
	f.event(t, "personal_data_deleted", "", true)
	var texts int64
	if err := f.db.Raw("SELECT count(*) FROM request_events WHERE request_id = ? AND (text <> '' OR text_salt IS NOT NULL) AND personal", f.request).Scan(&texts).Error; err != nil {
		t.Fatal(err)
	}
	if texts != 0 {
		t.Fatalf("%d personal texts or salts left after deletion, want none", texts)
	}
	if v := f.verify(t); len(v.Breaks) != 0 || v.Entries != 7 {
		t.Fatalf("verification after deletion = %+v, want 7 entries and no break", v)
	}
}

func TestAuditChain_ATextErasedBeforeRetentionIsCaught(t *testing.T) {
	f := newAuditFixture(t)
	f.exec(t, "UPDATE request_events SET text = '', text_salt = NULL WHERE request_id = ? AND text <> ''", f.request)
	v := f.verify(t)
	if len(v.Breaks) != 1 || v.Breaks[0].Table != models.TimelineTable {
		t.Fatalf("breaks = %+v, want the erased text caught", v.Breaks)
	}
}

func TestAuditChain_TheMigrationChainsTheEntriesWrittenBeforeIt(t *testing.T) {
	ctx := context.Background()
	url := testenv.EmptyDatabaseURL(t)
	db, err := models.Open(ctx, url, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	if err := models.MigrateUpTo(ctx, sqlDB, 10); err != nil {
		t.Fatal(err)
	}
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	store := models.NewStore(db)
	if _, err := store.SyncCatalog(ctx, cat); err != nil {
		t.Fatal(err)
	}
	// Two requests' entries, as release 00010 wrote them.
	var requests []uuid.UUID
	var firstUser uuid.UUID
	for range 2 {
		f := auditFixture{ctx: ctx, db: db, store: store}
		de, user := authority(t, ctx, store, "DE", "Bayern")
		pl, _ := authority(t, ctx, store, "PL", "Pomorskie")
		r := models.Request{RequestingAuthority: de.ID, RespondingAuthority: pl.ID, CreatedBy: user,
			AreaCode: "services", Subject: "fixture", SubjectLang: "en", Questions: models.StringArray{"q"}, NeededBy: on(20)}
		if err := store.CreateDraft(ctx, &r, models.PersonalFields{}); err != nil {
			t.Fatal(err)
		}
		f.request, f.to, f.user = r.ID, pl.ID, user
		f.event(t, "sent", "", false)
		f.event(t, "message", "Jan Kowalski", false)
		f.read(t, "GET timeline")
		f.read(t, "GET /api/v1/requests/:id")
		requests = append(requests, r.ID)
		if firstUser == uuid.Nil {
			firstUser = user
		}
	}
	if _, err := models.Migrate(ctx, sqlDB, testenv.Logger(t)); err != nil {
		t.Fatal(err)
	}
	// A new connection, as a new release's processes have: the old one's
	// cached statements expect the old columns.
	db, err = models.Open(ctx, url, testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	store = models.NewStore(db)
	v, err := store.VerifyAuditChains(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.Breaks) != 0 || v.Entries != 8 || len(v.Heads) != 4 {
		t.Fatalf("verification after the migration = %+v, want 8 entries in 4 intact chains", v)
	}
	// And a chain goes on from there.
	f := auditFixture{ctx: ctx, db: db, store: store, request: requests[0], user: firstUser}
	f.read(t, "GET timeline")
	if v := f.verify(t); len(v.Breaks) != 0 || v.Entries != 5 {
		t.Fatalf("verification after a new read = %+v, want 5 entries and no break", v)
	}
}

func TestAuditChain_AnAlteredTextIsCaughtByItsDigest(t *testing.T) {
	f := newAuditFixture(t)
	f.exec(t, "ALTER TABLE request_events DISABLE TRIGGER request_events_erase_only")
	f.exec(t, "UPDATE request_events SET text = 'Nobody was registered.' WHERE request_id = ? AND text <> ''", f.request)
	f.exec(t, "ALTER TABLE request_events ENABLE TRIGGER request_events_erase_only")
	v := f.verify(t)
	if len(v.Breaks) != 1 || v.Breaks[0].Problem != "the text does not match its digest" {
		t.Fatalf("breaks = %+v, want the altered text caught", v.Breaks)
	}
}
