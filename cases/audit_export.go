package cases

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

// AuditExportInput names the request whose audit trail is exported, the
// format, and a national coordinator's reason for reading its personal
// data.
type AuditExportInput struct {
	ID string `form:"id"`
	// Format is json (when absent) or csv; present but empty is refused,
	// as the API's document says.
	Format *string `form:"format" binding:"omitempty,oneof=json csv"`
	Reason string  `form:"reason" binding:"max=10000"`
}

// AuditTimelineEntry is a timeline entry with its place in the chain.
type AuditTimelineEntry struct {
	Position  int            `json:"position"`
	ID        int64          `json:"id"`
	Kind      string         `json:"kind"`
	At        time.Time      `json:"at"`
	Actor     *uuid.UUID     `json:"actor,omitempty"`
	Authority *uuid.UUID     `json:"authority,omitempty"`
	Text      *string        `json:"text,omitempty"`
	TextLang  string         `json:"text_lang,omitempty"`
	Redacted  bool           `json:"redacted,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
	// TextDigest is what the chain covers of the text (salted, so it
	// tells nothing about a redacted or deleted text).
	TextDigest string `json:"text_digest"`
	Hash       string `json:"hash"`
}

// AuditAccessEntry is an access-log entry with its place in the chain.
type AuditAccessEntry struct {
	Position int   `json:"position"`
	ID       int64 `json:"id"`
	AccessLogEntry
	Hash string `json:"hash"`
}

// AuditExport is a request's timeline and access log, each in chain order
// with its hashes, and whether the chains hold, for the data protection
// officer (IMI Regulation Art. 17, SPEC §4).
type AuditExport struct {
	Request    uuid.UUID `json:"request"`
	Reference  string    `json:"reference"`
	ExportedAt time.Time `json:"exported_at"`
	// Format is the format asked for: json or csv.
	Format string `json:"-"`
	// PersonalData says whether the texts are shown (shown) or why not,
	// as the request's reads say it.
	PersonalData string               `json:"personal_data"`
	Timeline     []AuditTimelineEntry `json:"timeline"`
	AccessLog    []AuditAccessEntry   `json:"access_log"`
	ChainsIntact bool                 `json:"chains_intact"`
	Breaks       []models.ChainBreak  `json:"breaks"`
}

// ExportAuditTrail exports a request's timeline and access log with their
// chain hashes. The helpdesk and the national coordinators of the
// request's two countries may; personal data are redacted by the rules of
// the reads (the helpdesk never sees them, a national coordinator with a
// reason does, and that read is logged, so it is in the export).
func (s *Service) ExportAuditTrail(ctx context.Context, caller Caller, in AuditExportInput) (AuditExport, error) {
	if err := s.validate.Check(in); err != nil {
		return AuditExport{}, err
	}
	id, err := parseID(in.ID, "the request")
	if err != nil {
		return AuditExport{}, err
	}
	r, err := s.store.Request(ctx, id)
	if err != nil {
		return AuditExport{}, storeError(err, "the request")
	}
	if r.State == models.Draft {
		// A draft is its authority's own business until it is sent, as
		// for the coordinators' reads.
		return AuditExport{}, NotFoundError("the request")
	}
	var countries []string
	for _, a := range []uuid.UUID{r.RequestingAuthority, r.RespondingAuthority} {
		auth, err := s.store.Authority(ctx, a)
		if err != nil {
			return AuditExport{}, storeError(err, "the request's authority")
		}
		countries = append(countries, auth.CountryCode)
	}
	_, party := partyOf(caller.Principal, r)
	requesting, responding := s.coordinatorSides(ctx, caller.Principal, r)
	if err := Deny(policy.ExportAuditTrail(caller.Principal, party || requesting || responding, countries...), "the request"); err != nil {
		return AuditExport{}, err
	}

	pt := Party{Side: Coordinating, Reason: strings.TrimSpace(in.Reason)}
	status := personalStatus(r, pt)
	if caller.Helpdesk && (status == PersonalShown || status == PersonalNeedsReason) {
		// The helpdesk has no access to requests' personal data (SPEC §1).
		status = PersonalNeedsRole
	}
	show := status == PersonalShown
	if show {
		if err := s.logRead(ctx, caller, r, pt, "GET audit export"); err != nil {
			return AuditExport{}, err
		}
	}
	events, reads, err := s.store.AuditTrail(ctx, r.ID)
	if err != nil {
		return AuditExport{}, err
	}
	check, err := s.store.VerifyAuditChains(ctx, &r.ID)
	if err != nil {
		return AuditExport{}, err
	}
	out := AuditExport{
		Request: r.ID, Reference: r.Reference, ExportedAt: time.Now().UTC(), Format: "json", PersonalData: status,
		Timeline: make([]AuditTimelineEntry, 0, len(events)), AccessLog: make([]AuditAccessEntry, 0, len(reads)),
		ChainsIntact: len(check.Breaks) == 0, Breaks: check.Breaks,
	}
	if in.Format != nil {
		out.Format = *in.Format
	}
	for _, e := range events {
		v := AuditTimelineEntry{Position: e.ChainSeq, ID: e.ID, Kind: e.Kind, At: e.At.UTC(), Actor: e.ActorUser, Authority: e.Authority,
			TextLang: e.TextLang, Details: e.Details, TextDigest: hex.EncodeToString(e.TextDigest), Hash: hex.EncodeToString(e.Hash)}
		if e.Text != "" {
			if personalText(e.RequestEventRow) && !show {
				v.Redacted = true
			} else {
				text := e.Text
				v.Text = &text
			}
		}
		out.Timeline = append(out.Timeline, v)
	}
	for _, e := range reads {
		out.AccessLog = append(out.AccessLog, AuditAccessEntry{Position: e.ChainSeq, ID: e.ID,
			AccessLogEntry: accessLogEntryFor(e.AccessLogEntry, show), Hash: hex.EncodeToString(e.Hash)})
	}
	return out, nil
}

// AuditExportCSVHeader names the columns of the CSV export: one row per
// entry, the timeline's first, then the access log's, each in chain order.
var auditExportCSVHeader = []string{"table", "position", "id", "at", "kind_or_what", "actor_or_user", "authority",
	"text_or_reason", "text_lang", "redacted", "details", "text_digest", "hash"}

// CSVRecords is the export as a table, header first.
func (e AuditExport) CSVRecords() [][]string {
	out := [][]string{auditExportCSVHeader}
	optional := func(id *uuid.UUID) string {
		if id == nil {
			return ""
		}
		return id.String()
	}
	for _, t := range e.Timeline {
		text, details := "", ""
		if t.Text != nil {
			text = *t.Text
		}
		if len(t.Details) > 0 {
			b, err := json.Marshal(t.Details)
			if err == nil {
				details = string(b)
			}
		}
		out = append(out, []string{models.TimelineTable, strconv.Itoa(t.Position), strconv.FormatInt(t.ID, 10), t.At.Format(time.RFC3339Nano),
			t.Kind, optional(t.Actor), optional(t.Authority), spreadsheetSafe(text), t.TextLang, strconv.FormatBool(t.Redacted), details, t.TextDigest, t.Hash})
	}
	for _, a := range e.AccessLog {
		out = append(out, []string{models.AccessLogTable, strconv.Itoa(a.Position), strconv.FormatInt(a.ID, 10), a.At.Format(time.RFC3339Nano),
			spreadsheetSafe(a.What), a.User.String(), optional(a.Authority), spreadsheetSafe(a.Reason), "", strconv.FormatBool(a.Redacted), "", "", a.Hash})
	}
	return out
}

// spreadsheetSafe keeps a free text from being taken for a formula by the
// spreadsheet the officer opens the CSV in: one that starts with =, +, -,
// @ or a control character is preceded by an apostrophe (OWASP's advice
// on CSV injection). The JSON export carries the texts as written.
func spreadsheetSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
