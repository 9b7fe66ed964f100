package models_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/testenv"
)

// freshSource is the shipped data as a Source a test may edit: each Load
// builds its own maps and slices, so editing one leaves no other catalog
// changed.
func freshSource(t *testing.T) catalog.Source {
	t.Helper()
	c, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	return catalog.Source{Languages: c.Languages(), Countries: c.Countries(), Areas: c.Areas()}
}

func build(t *testing.T, src catalog.Source) *catalog.Catalog {
	t.Helper()
	c, err := catalog.New(src)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func syncCatalog(t *testing.T, store *models.Store, c *catalog.Catalog) models.CatalogChanges {
	t.Helper()
	changes, err := store.SyncCatalog(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return changes
}

type rowCounts struct{ countries, areas, questions, competences int64 }

func countRows(t *testing.T, db *gorm.DB) rowCounts {
	t.Helper()
	var n rowCounts
	for _, c := range []struct {
		model any
		into  *int64
	}{
		{&models.Country{}, &n.countries}, {&models.Area{}, &n.areas},
		{&models.AreaQuestion{}, &n.questions}, {&models.AreaCompetence{}, &n.competences},
	} {
		if err := db.Model(c.model).Count(c.into).Error; err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func expectedCounts(c *catalog.Catalog) rowCounts {
	n := rowCounts{countries: int64(len(c.Countries())), areas: int64(len(c.Areas()))}
	for _, a := range c.Areas() {
		n.questions += int64(len(a.Questions))
		n.competences += int64(len(a.Competences))
	}
	return n
}

func migratedEmptyDatabase(t *testing.T) *gorm.DB {
	t.Helper()
	db, err := models.Open(context.Background(), testenv.EmptyDatabaseURL(t), testenv.Logger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = models.Close(db) })
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := models.Migrate(context.Background(), sqlDB, testenv.Logger(t)); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestSyncCatalog_RunTwiceWritesEverythingOnceAndThenNothing(t *testing.T) {
	db := migratedEmptyDatabase(t)
	store := models.NewStore(db)
	c := build(t, freshSource(t))
	want := expectedCounts(c)

	first := syncCatalog(t, store, c)
	if total := want.countries + want.areas + want.questions + want.competences; first.Written != total || first.Retired != 0 {
		t.Errorf("first run: %+v, want %d rows written and none retired", first, total)
	}
	if got := countRows(t, db); got != want {
		t.Fatalf("after the first run: %+v rows, want %+v", got, want)
	}
	var before []models.AreaQuestion
	if err := db.Order("area_code, code").Find(&before).Error; err != nil {
		t.Fatal(err)
	}

	second := syncCatalog(t, store, build(t, freshSource(t)))
	if second != (models.CatalogChanges{}) {
		t.Errorf("second run over the same data: %+v, want nothing written or retired", second)
	}
	if got := countRows(t, db); got != want {
		t.Errorf("after the second run: %+v rows, want %+v", got, want)
	}
	var after []models.AreaQuestion
	if err := db.Order("area_code, code").Find(&after).Error; err != nil {
		t.Fatal(err)
	}
	for i := range before {
		if !after[i].UpdatedAt.Equal(before[i].UpdatedAt) {
			t.Errorf("question %s/%s was rewritten by a run that changed nothing", after[i].AreaCode, after[i].Code)
		}
	}
}

func TestSyncCatalog_EveryTestDatabaseHoldsTheReferenceData(t *testing.T) {
	db := testenv.Database(t)
	c := build(t, freshSource(t))
	if got, want := countRows(t, db), expectedCounts(c); got != want {
		t.Fatalf("a fresh test database holds %+v reference rows, want %+v", got, want)
	}
	if changes := syncCatalog(t, models.NewStore(db), c); changes != (models.CatalogChanges{}) {
		t.Errorf("syncing a fresh test database wrote %+v: its reference data are stale", changes)
	}

	var pq models.Area
	if err := db.First(&pq, "code = ?", "professional-qualifications").Error; err != nil {
		t.Fatal(err)
	}
	want, _ := c.Area("professional-qualifications")
	if pq.Deadlines.Acceptance.EscalateDay != 7 || !slices.Equal(pq.Deadlines.Reply.ReminderDaysBefore, want.Deadlines.Reply.ReminderDaysBefore) ||
		pq.BlockAfterMonths != 6 || pq.DeleteAfterMonths != 36 || pq.Name["de"] != "Berufsqualifikationen" {
		t.Errorf("stored area %+v does not match the file", pq)
	}
	var level models.AreaQuestion
	if err := db.First(&level, "area_code = ? AND code = ?", "professional-qualifications", "qualification-level").Error; err != nil {
		t.Fatal(err)
	}
	if level.AnswerType != "choice" || len(level.Options) != 5 || level.Options[0].Code != "level-a" || level.Options[0].Label["pl"] == "" || !level.PersonalData {
		t.Errorf("stored choice question %+v lost its options or flags", level)
	}
	var norway models.Country
	if err := db.First(&norway, "code = ?", "NO").Error; err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(norway.Languages, models.LanguageCodes{"no"}) || norway.Name["no"] != "Norge" {
		t.Errorf("stored Norway %+v", norway)
	}
}

func TestSyncCatalog_AChangedTranslationUpdatesOnlyItsRow(t *testing.T) {
	db := testenv.Database(t)
	store := models.NewStore(db)
	var before models.AreaCompetence
	if err := db.First(&before, "area_code = ? AND code = ?", "professional-qualifications", "doctor").Error; err != nil {
		t.Fatal(err)
	}

	src := freshSource(t)
	pq := &src.Areas[slices.IndexFunc(src.Areas, func(a catalog.Area) bool { return a.Code == "professional-qualifications" })]
	pq.Competences[0].Label["de"] = "Ärztin/Arzt"
	pq.Competences[0].Keywords["de"] = append(pq.Competences[0].Keywords["de"], "Amtsärztin")
	pq.Questions[0].Text["pl"] = "Czy dane osobowe są zgodne?"
	time.Sleep(10 * time.Millisecond) // so that a rewrite shows in updated_at
	changes := syncCatalog(t, store, build(t, src))
	if changes.Written != 2 || changes.Retired != 0 {
		t.Errorf("changes %+v, want the one competence and the one question written", changes)
	}

	var doctor models.AreaCompetence
	if err := db.First(&doctor, "area_code = ? AND code = ?", "professional-qualifications", "doctor").Error; err != nil {
		t.Fatal(err)
	}
	if doctor.Label["de"] != "Ärztin/Arzt" || !slices.Contains(doctor.Keywords["de"], "Amtsärztin") {
		t.Errorf("the doctor's row %+v does not carry the new label and keyword", doctor)
	}
	if !doctor.UpdatedAt.After(before.UpdatedAt) || !doctor.CreatedAt.Equal(before.CreatedAt) {
		t.Errorf("updated_at %v -> %v, created_at %v -> %v: want only updated_at to move",
			before.UpdatedAt, doctor.UpdatedAt, before.CreatedAt, doctor.CreatedAt)
	}
	var question models.AreaQuestion
	if err := db.First(&question, "area_code = ? AND code = ?", "professional-qualifications", pq.Questions[0].Code).Error; err != nil {
		t.Fatal(err)
	}
	if question.Text["pl"] != "Czy dane osobowe są zgodne?" {
		t.Errorf("the question's Polish text is %q, want the new one", question.Text["pl"])
	}
}

func TestSyncCatalog_ARemovedQuestionIsRetiredAndComesBackWhenRestored(t *testing.T) {
	db := testenv.Database(t)
	store := models.NewStore(db)
	src := freshSource(t)
	services := &src.Areas[slices.IndexFunc(src.Areas, func(a catalog.Area) bool { return a.Code == "services" })]
	removedAt := slices.IndexFunc(services.Questions, func(q catalog.Question) bool { return q.Code == "insolvency" })
	// The questions after it move up one place, and back when it returns.
	moved := int64(len(services.Questions) - removedAt - 1)
	services.Questions = slices.Delete(services.Questions, removedAt, removedAt+1)

	if changes := syncCatalog(t, store, build(t, src)); changes.Retired != 1 || changes.Written != moved {
		t.Errorf("changes %+v, want the one question retired and the %d after it moved up", changes, moved)
	}
	retired := func() *time.Time {
		t.Helper()
		var q models.AreaQuestion
		if err := db.First(&q, "area_code = ? AND code = ?", "services", "insolvency").Error; err != nil {
			t.Fatalf("the removed question's row is gone: %v", err)
		}
		return q.RetiredAt
	}
	if retired() == nil {
		t.Fatal("the removed question is not marked retired")
	}
	var live int64
	if err := db.Model(&models.AreaQuestion{}).Where("area_code = ? AND retired_at IS NULL", "services").Count(&live).Error; err != nil {
		t.Fatal(err)
	}
	if live != int64(len(services.Questions)) {
		t.Errorf("%d live services questions, want %d", live, len(services.Questions))
	}
	if changes := syncCatalog(t, store, build(t, src)); changes != (models.CatalogChanges{}) {
		t.Errorf("a second run retired or wrote again: %+v", changes)
	}

	if changes := syncCatalog(t, store, build(t, freshSource(t))); changes.Written != moved+1 || changes.Retired != 0 {
		t.Errorf("restoring the question: %+v, want it and the %d after it written back", changes, moved)
	}
	if retired() != nil {
		t.Error("the restored question is still retired")
	}
	var position int
	if err := db.Model(&models.AreaQuestion{}).Where("area_code = ? AND code = ?", "services", "insolvency").
		Pluck("position", &position).Error; err != nil {
		t.Fatal(err)
	}
	if position != removedAt+1 {
		t.Errorf("the restored question is at position %d, want %d", position, removedAt+1)
	}
}

func TestSyncCatalog_ARemovedAreaIsRetiredWithItsQuestionsAndCompetences(t *testing.T) {
	db := testenv.Database(t)
	store := models.NewStore(db)
	src := freshSource(t)
	src.Areas = slices.DeleteFunc(src.Areas, func(a catalog.Area) bool { return a.Code == "services" })
	syncCatalog(t, store, build(t, src))

	for _, tc := range []struct {
		model any
		where string
	}{
		{&models.Area{}, "code = 'services'"},
		{&models.AreaQuestion{}, "area_code = 'services'"},
		{&models.AreaCompetence{}, "area_code = 'services'"},
	} {
		var total, live int64
		if err := db.Model(tc.model).Where(tc.where).Count(&total).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Model(tc.model).Where(tc.where).Where("retired_at IS NULL").Count(&live).Error; err != nil {
			t.Fatal(err)
		}
		if total == 0 || live != 0 {
			t.Errorf("%T where %s: %d rows, %d live; want them kept and all retired", tc.model, tc.where, total, live)
		}
	}
}

func TestSyncCatalog_CompetenceKeywordsAreSearchableWithoutAccents(t *testing.T) {
	db := testenv.Database(t)
	for _, term := range []string{"Ärztin", "arztin", "lekarz", "médecin", "medecin", "physician"} {
		var found []string
		if err := db.Model(&models.AreaCompetence{}).
			Where("search_vector @@ plainto_tsquery('simple', ?)", catalog.Fold(term)).
			Pluck("code", &found).Error; err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(found, "doctor") {
			t.Errorf("a full-text search for %q finds %v, not the doctor", term, found)
		}
	}
}

func TestSyncCatalog_ConcurrentRunsAgree(t *testing.T) {
	db := testenv.Database(t)
	store := models.NewStore(db)
	src := freshSource(t)
	src.Areas[0].Name["de"] = "Neuer Name"
	c := build(t, src)

	var wg sync.WaitGroup
	errs := make([]error, 3)
	written := make([]int64, 3)
	for i := range errs {
		wg.Go(func() {
			changes, err := store.SyncCatalog(context.Background(), c)
			errs[i], written[i] = err, changes.Written
		})
	}
	wg.Wait()
	var total int64
	for i, err := range errs {
		if err != nil {
			t.Errorf("run %d: %v", i, err)
		}
		total += written[i]
	}
	if total != 1 {
		t.Errorf("three concurrent runs wrote %d rows between them, want the one change once", total)
	}
}
