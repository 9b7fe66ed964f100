package models

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// The audit trail (IMI Regulation Art. 17): each request's timeline
// (request_events) and access log (personal_data_access_log) is a chain of
// entries, each carrying the SHA-256 of a canonical encoding of its content
// and the hash of the entry before it. PostgreSQL computes the hashes when
// an entry is written (migration 00011); the functions here compute them
// again, independently, to verify the chains.

// Audit chain tables, as the verification names them.
const (
	TimelineTable  = "request_events"
	AccessLogTable = "personal_data_access_log"
)

// AuditHashVersion is the version of the entries' encoding that this build
// writes and verifies.
const AuditHashVersion = 1

// auditEncoding writes fields as netstrings ("<bytes>:<value>,", a missing
// value as "-,"), after a prefix naming the table and the version, exactly
// as the migration's audit_field does.
type auditEncoding struct{ b bytes.Buffer }

func newAuditEncoding(table string, version int) *auditEncoding {
	e := &auditEncoding{}
	e.b.WriteString("openimi-audit:" + table + ":v" + strconv.Itoa(version) + ",")
	return e
}

func (e *auditEncoding) field(v string) *auditEncoding {
	e.b.WriteString(strconv.Itoa(len(v)))
	e.b.WriteByte(':')
	e.b.WriteString(v)
	e.b.WriteByte(',')
	return e
}

func (e *auditEncoding) null() *auditEncoding {
	e.b.WriteString("-,")
	return e
}

func (e *auditEncoding) id(v *uuid.UUID) *auditEncoding {
	if v == nil {
		return e.null()
	}
	return e.field(v.String())
}

func (e *auditEncoding) bytes(v []byte) *auditEncoding {
	if v == nil {
		return e.null()
	}
	return e.field(hex.EncodeToString(v))
}

func (e *auditEncoding) sum() []byte {
	s := sha256.Sum256(e.b.Bytes())
	return s[:]
}

// auditTime is a timestamp in UTC to the microsecond, PostgreSQL's
// precision.
func auditTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z")
}

// TimelineChainEntry is a timeline entry as its chain covers it.
type TimelineChainEntry struct {
	ID         int64
	RequestID  uuid.UUID `gorm:"type:uuid"`
	ChainSeq   int
	EventKey   string
	Kind       string
	ActorUser  *uuid.UUID `gorm:"type:uuid"`
	Authority  *uuid.UUID `gorm:"type:uuid"`
	Text       string
	TextLang   string
	Personal   bool
	TextSalt   []byte
	TextDigest []byte
	// Details is the stored jsonb as PostgreSQL writes it out, the form
	// the hash covers.
	Details     string
	At          time.Time
	HashVersion int
	Hash        []byte
	// PersonalDeletedAt is the request's, when retention deleted its
	// personal data: only then may a text be gone.
	PersonalDeletedAt *time.Time
}

// TimelineEntryHash computes a timeline entry's hash after prev (nil for
// the first entry).
func TimelineEntryHash(e TimelineChainEntry, prev []byte) []byte {
	enc := newAuditEncoding(TimelineTable, AuditHashVersion)
	enc.field(strconv.FormatInt(e.ID, 10)).field(e.RequestID.String()).field(strconv.Itoa(e.ChainSeq)).
		field(e.EventKey).field(e.Kind).id(e.ActorUser).id(e.Authority).bytes(e.TextDigest).field(e.TextLang).
		field(strconv.FormatBool(e.Personal)).field(e.Details).field(auditTime(e.At)).bytes(prev)
	return enc.sum()
}

// TextDigest is the digest of a timeline text under its salt.
func TextDigest(salt []byte, text string) []byte {
	s := sha256.Sum256(append(append([]byte{}, salt...), text...))
	return s[:]
}

// AccessChainEntry is an access-log entry as its chain covers it.
type AccessChainEntry struct {
	ID          int64
	RequestID   uuid.UUID `gorm:"type:uuid"`
	ChainSeq    int
	UserID      uuid.UUID  `gorm:"type:uuid"`
	AuthorityID *uuid.UUID `gorm:"type:uuid"`
	What        string
	Reason      string
	At          time.Time
	HashVersion int
	Hash        []byte
}

// AccessEntryHash computes an access-log entry's hash after prev (nil for
// the first entry).
func AccessEntryHash(e AccessChainEntry, prev []byte) []byte {
	enc := newAuditEncoding(AccessLogTable, AuditHashVersion)
	user := e.UserID
	enc.field(strconv.FormatInt(e.ID, 10)).field(e.RequestID.String()).field(strconv.Itoa(e.ChainSeq)).
		id(&user).id(e.AuthorityID).field(e.What).field(e.Reason).field(auditTime(e.At)).bytes(prev)
	return enc.sum()
}

// ChainBreak is the first entry of a request's chain that does not hold.
type ChainBreak struct {
	RequestID uuid.UUID `json:"request"`
	Table     string    `json:"table"`
	EntryID   int64     `json:"entry_id"`
	ChainSeq  int       `json:"chain_seq"`
	Problem   string    `json:"problem"`
	Expected  string    `json:"expected"`
	Stored    string    `json:"stored"`
}

func (b ChainBreak) String() string {
	return fmt.Sprintf("request %s, %s entry %d (position %d): %s: expected %s, stored %s",
		b.RequestID, b.Table, b.EntryID, b.ChainSeq, b.Problem, b.Expected, b.Stored)
}

// ChainHead is the last entry of a request's chain: keeping it elsewhere
// lets a later verification tell that nothing was cut off the end.
type ChainHead struct {
	RequestID uuid.UUID `json:"request"`
	Table     string    `json:"table"`
	Entries   int       `json:"entries"`
	Hash      string    `json:"hash"`
}

// AuditVerification is what a verification of the chains found.
type AuditVerification struct {
	Entries int          `json:"entries"`
	Heads   []ChainHead  `json:"heads"`
	Breaks  []ChainBreak `json:"breaks"`
}

// chainCheck follows one request's chain in one table.
type chainCheck struct {
	out     *AuditVerification
	table   string
	request uuid.UUID
	started bool
	seq     int
	prev    []byte
	broken  bool
}

// next checks the position and the version of an entry and, if they hold,
// the stored hash against want; it reports whether the chain still holds.
func (c *chainCheck) next(request uuid.UUID, id int64, seq, version int, stored []byte, hash func(prev []byte) []byte) {
	if !c.started || request != c.request {
		c.finish()
		*c = chainCheck{out: c.out, table: c.table, request: request, started: true}
	}
	c.out.Entries++
	if c.broken {
		return
	}
	fail := func(problem, expected, got string) {
		c.broken = true
		c.out.Breaks = append(c.out.Breaks, ChainBreak{RequestID: request, Table: c.table, EntryID: id, ChainSeq: seq,
			Problem: problem, Expected: expected, Stored: got})
	}
	switch {
	case seq != c.seq+1:
		fail("an entry is missing before this one", "position "+strconv.Itoa(c.seq+1), "position "+strconv.Itoa(seq))
	case version != AuditHashVersion:
		fail("unknown encoding version", strconv.Itoa(AuditHashVersion), strconv.Itoa(version))
	default:
		if want := hash(c.prev); !bytes.Equal(want, stored) {
			fail("the entry's content does not match its hash", hex.EncodeToString(want), hex.EncodeToString(stored))
		}
	}
	c.seq, c.prev = seq, stored
}

// finish records the head of the chain just followed.
func (c *chainCheck) finish() {
	if c.started && !c.broken {
		c.out.Heads = append(c.out.Heads, ChainHead{RequestID: c.request, Table: c.table, Entries: c.seq, Hash: hex.EncodeToString(c.prev)})
	}
}

// VerifyAuditChains recomputes every chain (or the chains of one request)
// from the stored entries and reports the first break of each chain, with
// the heads of the chains that hold. It reads the entries as a stream, in
// chain order, so the whole trail never sits in memory.
func (s *Store) VerifyAuditChains(ctx context.Context, request *uuid.UUID) (AuditVerification, error) {
	out := AuditVerification{Heads: []ChainHead{}, Breaks: []ChainBreak{}}
	where, args := "", []any{}
	if request != nil {
		where, args = "WHERE e.request_id = ?", []any{*request}
	}

	rows, err := s.db.WithContext(ctx).Raw(`SELECT e.id, e.request_id, e.chain_seq, e.event_key, e.kind, e.actor_user, e.authority,
		e.text, e.text_lang, e.personal, e.text_salt, e.text_digest, e.details::text AS details, e.at, e.hash_version, e.hash,
		r.personal_deleted_at
		FROM request_events e LEFT JOIN requests r ON r.id = e.request_id `+where+` ORDER BY e.request_id, e.chain_seq`, args...).Rows()
	if err != nil {
		return out, fmt.Errorf("read the timelines: %w", err)
	}
	timeline := chainCheck{out: &out, table: TimelineTable}
	for rows.Next() {
		var e TimelineChainEntry
		if err := s.db.ScanRows(rows, &e); err != nil {
			_ = rows.Close()
			return out, fmt.Errorf("read a timeline entry: %w", err)
		}
		timeline.next(e.RequestID, e.ID, e.ChainSeq, e.HashVersion, e.Hash, func(prev []byte) []byte {
			return TimelineEntryHash(e, prev)
		})
		if !timeline.broken {
			checkText(&timeline, e)
		}
	}
	timeline.finish()
	if err := rows.Err(); err != nil {
		_ = rows.Close()
		return out, fmt.Errorf("read the timelines: %w", err)
	}
	if err := rows.Close(); err != nil {
		return out, fmt.Errorf("read the timelines: %w", err)
	}

	where = strings.ReplaceAll(where, "e.", "a.")
	rows, err = s.db.WithContext(ctx).Raw(`SELECT a.id, a.request_id, a.chain_seq, a.user_id, a.authority_id, a.what, a.reason,
		a.at, a.hash_version, a.hash FROM personal_data_access_log a `+where+` ORDER BY a.request_id, a.chain_seq`, args...).Rows()
	if err != nil {
		return out, fmt.Errorf("read the access logs: %w", err)
	}
	defer func() { _ = rows.Close() }()
	access := chainCheck{out: &out, table: AccessLogTable}
	for rows.Next() {
		var e AccessChainEntry
		if err := s.db.ScanRows(rows, &e); err != nil {
			return out, fmt.Errorf("read an access-log entry: %w", err)
		}
		access.next(e.RequestID, e.ID, e.ChainSeq, e.HashVersion, e.Hash, func(prev []byte) []byte {
			return AccessEntryHash(e, prev)
		})
	}
	access.finish()
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("read the access logs: %w", err)
	}
	return out, nil
}

// checkText holds a timeline entry's text to the digest its hash covers: a
// text present must match it; a text gone (with its salt) only after the
// request's personal data were deleted.
func checkText(c *chainCheck, e TimelineChainEntry) {
	fail := func(problem, expected, got string) {
		c.broken = true
		c.out.Breaks = append(c.out.Breaks, ChainBreak{RequestID: e.RequestID, Table: c.table, EntryID: e.ID, ChainSeq: e.ChainSeq,
			Problem: problem, Expected: expected, Stored: got})
	}
	switch {
	case e.TextSalt != nil:
		if want := TextDigest(e.TextSalt, e.Text); !bytes.Equal(want, e.TextDigest) {
			fail("the text does not match its digest", hex.EncodeToString(e.TextDigest), hex.EncodeToString(want))
		}
	case e.Text != "":
		fail("a text without its salt", "no text", strconv.Itoa(len(e.Text))+" bytes of text")
	case e.PersonalDeletedAt == nil:
		fail("the text was erased although the request's personal data were not deleted", "a text and its salt", "none")
	}
}

// ChainedTimelineEntry is a timeline entry with its place in the chain, for
// an export.
type ChainedTimelineEntry struct {
	RequestEventRow
	ChainSeq   int
	TextDigest []byte
	Hash       []byte
}

// ChainedAccessEntry is an access-log entry with its place in the chain.
type ChainedAccessEntry struct {
	AccessLogEntry
	ChainSeq int
	Hash     []byte
}

// AuditTrail is a request's timeline and access log in chain order, with
// their hashes.
func (s *Store) AuditTrail(ctx context.Context, requestID uuid.UUID) ([]ChainedTimelineEntry, []ChainedAccessEntry, error) {
	var events []ChainedTimelineEntry
	err := s.db.WithContext(ctx).Table(TimelineTable).Where("request_id = ?", requestID).Order("chain_seq").Find(&events).Error
	if err != nil {
		return nil, nil, fmt.Errorf("load the timeline's chain: %w", err)
	}
	var reads []ChainedAccessEntry
	err = s.db.WithContext(ctx).Table(AccessLogTable).Where("request_id = ?", requestID).Order("chain_seq").Find(&reads).Error
	if err != nil {
		return nil, nil, fmt.Errorf("load the access log's chain: %w", err)
	}
	return events, reads, nil
}
