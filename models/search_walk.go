package models

import (
	"fmt"
	"slices"

	"github.com/google/uuid"
	"gorm.io/gorm"
)

// A search by words alone needs its first matches in name order. There are
// two ways to find them, and which is cheap depends on how many matches
// there are and where they fall in name order (docs/BENCHMARKS.md):
//
//   - walk the active authorities in name order and test each one, through
//     an index that carries the search documents (authorities_active_search_walk),
//     so that a test costs an index entry, about 0.25 µs: cheap when matches
//     are common, and up to 25 ms over 100,000 authorities when they are rare
//     or all late in the alphabet;
//   - collect every match through the text index and sort them by name: each
//     match costs a visit to its row, about 1.5 µs, so this is cheap when
//     matches are few and dear when they are many.
//
// The planner's estimate of the matches (which the total needs anyway) says
// which to try first; it is often off by a factor of two or three, and can
// be far off for words that are common apart but rare together. So neither
// attempt is trusted to be cheap: a collection that meets more than
// collectLimit matches gives up, and so does a first walk that finds too
// few in walkFirst authorities; what they found is exact, and the next way
// takes over. The results are the same whichever way finds them.
//
// A variable so that tests can send small directories down every path.
var searchPlan = struct {
	// collectBelow: estimates up to this collect first; the walk would
	// test about SearchExactMatches/density entries, 10,000 at a density
	// of 2 %, which costs what visiting 2,000 rows does.
	collectBelow int64
	// collectLimit leaves room for an estimate twice too low.
	collectLimit int
	// walkFirst entries (a fifth of the benchmark's directory, about 4 ms)
	// are walked before a search estimated broad tries collecting.
	walkFirst int
}{collectBelow: 2000, collectLimit: 4000, walkFirst: 20_000}

// nameKey is a place in the walk's name order.
type nameKey struct {
	Name string
	ID   uuid.UUID
}

// walkForMatches returns the first want matches of the tsquery match among
// active authorities in name order, or all of them when there are fewer;
// estimate is the planner's estimate of how many there are.
func walkForMatches(db *gorm.DB, match string, estimate int64, want int) (ids []uuid.UUID, err error) {
	// Each step below is a choice made on counts, not on the planner's
	// estimate, which may well prefer to walk the name order through the
	// rows (the index without the documents is smaller) or to read the
	// table: each step says which access it means, and the settings are
	// reset after.
	defer unsteer(db, &err)
	if estimate <= searchPlan.collectBelow {
		collected, complete, err := collectMatches(db, match, want)
		if err != nil || complete {
			return collected, err
		}
		return walkNameOrder(db, match, nil, 0, 0, want)
	}
	found, err := walkNameOrder(db, match, nil, searchPlan.walkFirst, 0, want)
	if err != nil || len(found) >= want {
		return found, err
	}
	stopped, err := walkEnd(db, searchPlan.walkFirst)
	if err != nil || stopped == nil {
		return found, err // the walk saw every authority
	}
	collected, complete, err := collectMatches(db, match, want)
	if err != nil || complete {
		return collected, err
	}
	// The search's statements share one snapshot (SearchAuthorities), so
	// the rest begins exactly where the first walk stopped.
	rest, err := walkNameOrder(db, match, stopped, 0, 0, want-len(found))
	return append(found, rest...), err
}

// walkForPage is one page of the matches in name order, past the first
// offset: the pages after the ranked window.
func walkForPage(db *gorm.DB, match string, offset, limit int) (ids []uuid.UUID, err error) {
	defer unsteer(db, &err)
	return walkNameOrder(db, match, nil, 0, offset, limit)
}

// unsteer gives the planner back every access path, and sets *err if it
// cannot.
func unsteer(db *gorm.DB, err *error) {
	// SET LOCAL, not RESET: a RESET inside a transaction would outlive it
	// on the pooled connection.
	reset := "SET LOCAL enable_seqscan TO DEFAULT; SET LOCAL enable_indexscan TO DEFAULT; SET LOCAL enable_indexonlyscan TO DEFAULT; " +
		"SET LOCAL enable_bitmapscan TO DEFAULT; SET LOCAL jit TO DEFAULT; SET LOCAL max_parallel_workers_per_gather TO DEFAULT"
	if resetErr := db.Exec(reset).Error; *err == nil && resetErr != nil {
		*err = fmt.Errorf("search authorities: %w", resetErr)
	}
}

// steer allows a query only the access paths named, for the rest of the
// transaction or until walkForMatches resets them. The planner counts a
// disallowed path at an enormous cost rather than dropping it, and a plan
// that costly would be compiled (JIT) for a tenth of a second, or split
// among parallel workers that take longer to start than the walk: not
// here.
func steer(db *gorm.DB, seq, index, indexOnly, bitmap bool) error {
	onOff := func(on bool) string {
		if on {
			return "on"
		}
		return "off"
	}
	err := db.Exec("SET LOCAL enable_seqscan = " + onOff(seq) + "; SET LOCAL enable_indexscan = " + onOff(index) +
		"; SET LOCAL enable_indexonlyscan = " + onOff(indexOnly) + "; SET LOCAL enable_bitmapscan = " + onOff(bitmap) +
		"; SET LOCAL jit = off; SET LOCAL max_parallel_workers_per_gather = 0").Error
	if err != nil {
		return fmt.Errorf("search authorities: %w", err)
	}
	return nil
}

// walkNameOrder walks active authorities in name order, after the key when
// there is one, and returns the first want that match past the first skip;
// within bounds the walk to that many authorities (0: no bound, and skip
// is only for that).
//
// Documents too large for the walk's index are walked apart through their
// rows and merged in name order; there are few or none.
func walkNameOrder(db *gorm.DB, match string, after *nameKey, within, skip, want int) ([]uuid.UUID, error) {
	// Only the walk's index, read without the rows; the oversized
	// documents' index is the one path left to their branch.
	if err := steer(db, false, false, true, false); err != nil {
		return nil, err
	}
	from, fromArgs := "", []any(nil)
	if after != nil {
		from, fromArgs = " AND (a.official_name, a.id) > (?, ?::uuid)", []any{after.Name, after.ID}
	}
	// Unbounded, the test goes into each branch, which stops at want
	// matches. Bounded, the branches stop at within authorities and the
	// test comes after them: a window counting the rows to say where the
	// walk stopped would cost half as much again as the walk.
	test, outer, limit := " AND a.search_document @@ ?::tsquery", "", skip+want
	if within > 0 {
		test, outer, limit = "", " WHERE search_document @@ ?::tsquery", within
	}
	branch := func(fits string) (string, []any) {
		sql := `(SELECT a.id, a.official_name, a.search_document FROM authorities a
			WHERE a.status = '` + string(AuthorityActive) + `' AND ` + fits + from + test + `
			ORDER BY a.official_name, a.id LIMIT ?)`
		args := slices.Clone(fromArgs)
		if within == 0 {
			args = append(args, match)
		}
		return sql, append(args, limit)
	}
	fits, fitsArgs := branch("a.search_document_fits")
	oversized, oversizedArgs := branch("NOT a.search_document_fits")
	args := slices.Concat(fitsArgs, oversizedArgs, []any{limit})
	if within > 0 {
		args = append(args, match)
	}
	var found []uuid.UUID
	err := db.Raw(`
		SELECT id FROM (
			SELECT * FROM (`+fits+` UNION ALL `+oversized+`) u
			ORDER BY official_name, id LIMIT ?
		) w`+outer+`
		ORDER BY official_name, id
		OFFSET ? LIMIT ?`, append(args, skip, want)...).Scan(&found).Error
	if err != nil {
		return nil, fmt.Errorf("search authorities: %w", err)
	}
	return found, nil
}

// walkEnd is where a walk of within authorities stopped: the within-th
// active authority in name order, or nil when there are not so many.
func walkEnd(db *gorm.DB, within int) (*nameKey, error) {
	var keys []nameKey
	err := db.Raw(`SELECT official_name AS name, id FROM authorities a
		WHERE a.status = '`+string(AuthorityActive)+`'
		ORDER BY a.official_name, a.id OFFSET ? LIMIT 1`, within-1).Scan(&keys).Error
	if err != nil || len(keys) == 0 {
		return nil, err
	}
	return &keys[0], nil
}

// collectMatches finds the matches through the text index and sorts them by
// name, and returns the first want; complete is false, and nothing is
// returned, when there are more than searchPlan.collectLimit.
func collectMatches(db *gorm.DB, match string, want int) (ids []uuid.UUID, complete bool, err error) {
	// Only the text index.
	if err := steer(db, false, false, false, true); err != nil {
		return nil, false, err
	}
	var collected []struct {
		ID    uuid.UUID
		Found int
	}
	err = db.Raw(`
		SELECT id, found FROM (
			SELECT id, official_name, count(*) OVER () AS found FROM (
				SELECT a.id, a.official_name FROM authorities a
				WHERE a.status = '`+string(AuthorityActive)+`' AND a.search_document @@ ?::tsquery
				LIMIT ?
			) m
		) c
		ORDER BY official_name, id
		LIMIT ?`, match, searchPlan.collectLimit+1, want).Scan(&collected).Error
	if err != nil {
		return nil, false, fmt.Errorf("search authorities: %w", err)
	}
	if len(collected) > 0 && collected[0].Found > searchPlan.collectLimit {
		return nil, false, nil
	}
	ids = make([]uuid.UUID, len(collected))
	for i, c := range collected {
		ids[i] = c.ID
	}
	return ids, true, nil
}
