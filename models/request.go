package models

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// RequestEventRecord is an event of a request's workflow and the state it
// leaves the request in, as the read model stores it.
type RequestEventRecord struct {
	RequestID uuid.UUID
	Key       string
	Kind      string
	At        time.Time
	ActorUser *uuid.UUID
	// Authority is the actor's authority, when an official acted.
	Authority *uuid.UUID
	Text      string
	TextLang  string
	Personal  bool
	Details   map[string]any

	State               string
	RespondingAuthority uuid.UUID
	// AcceptedBy is the responding authority that accepted, nil before
	// acceptance and after a forward.
	AcceptedBy          *uuid.UUID
	AssignedHandler     *uuid.UUID
	ReplyDue            time.Time
	ReplyDueDays        int
	ProposedDueDays     int
	AcceptanceClockFrom time.Time
	Overdue             bool
	EscalatedAt         *time.Time
	ClosedAt            *time.Time
	Answers             map[string]AnswerValue
	TimelinessRating    int
	EffortRating        int
	BlockPersonalData   bool
	DeletePersonalData  bool
}

// AnswerValue is the answer to one question, marked personal when the
// question asks for personal data.
type AnswerValue struct {
	Value    string
	Personal bool
}

// RecordRequestEvent writes an event and the read model's new state in one
// transaction, with what the event causes (its mails). An event already
// recorded is not recorded again: it reports false and changes nothing.
func (s *Store) RecordRequestEvent(ctx context.Context, ev RequestEventRecord, also Also) (bool, error) {
	recorded := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		details, err := json.Marshal(ev.Details)
		if err != nil {
			return fmt.Errorf("encode event details: %w", err)
		}
		if ev.Details == nil {
			details = []byte("{}")
		}
		// Any free text (an acceptance's or a closure's as much as a
		// message's) may name the data subject: each is personal, so
		// redacted, blocked and deleted like personal data (SPEC §4).
		res := tx.Exec(`INSERT INTO request_events
			(request_id, event_key, kind, actor_user, authority, text, text_lang, personal, details, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (event_key) DO NOTHING`,
			ev.RequestID, ev.Key, ev.Kind, ev.ActorUser, ev.Authority, ev.Text, ev.TextLang, ev.Personal || ev.Text != "", string(details), ev.At)
		if res.Error != nil {
			return fmt.Errorf("record request event %s: %w", ev.Key, res.Error)
		}
		if res.RowsAffected == 0 {
			return nil
		}
		recorded = true
		changes := map[string]any{
			"state":                 ev.State,
			"responding_authority":  ev.RespondingAuthority,
			"assigned_handler":      ev.AssignedHandler,
			"accepted_by":           ev.AcceptedBy,
			"reply_due":             ev.ReplyDue,
			"reply_due_days":        ev.ReplyDueDays,
			"proposed_due_days":     nullIfZero(ev.ProposedDueDays),
			"acceptance_clock_from": ev.AcceptanceClockFrom,
			"overdue":               ev.Overdue,
			"escalated_at":          ev.EscalatedAt,
			"closed_at":             ev.ClosedAt,
			"last_event":            gorm.Expr("last_event + 1"),
			"updated_at":            ev.At,
		}
		switch ev.Kind {
		case "sent":
			changes["sent_at"] = ev.At
		case "answer":
			// The first answer is when the request was answered, for the
			// scoreboard, whatever a referral or a return does after.
			changes["answered_at"] = gorm.Expr("coalesce(answered_at, ?)", ev.At)
		case "accept", "coordinator-accept":
			// The latest acceptance: after a forward it is the new
			// authority's that counts for the scoreboard.
			changes["accepted_at"] = ev.At
		case "forward", "coordinator-forward":
			changes["accepted_at"] = nil
		case "close":
			changes["timeliness_rating"] = nullIfZero(ev.TimelinessRating)
			changes["effort_rating"] = nullIfZero(ev.EffortRating)
		}
		if ev.EscalatedAt != nil {
			// A later escalation must not move an earlier period's count.
			changes["first_escalated_at"] = gorm.Expr("coalesce(first_escalated_at, ?)", *ev.EscalatedAt)
		}
		if ev.BlockPersonalData {
			changes["personal_blocked_at"] = gorm.Expr("coalesce(personal_blocked_at, ?)", ev.At)
		}
		if ev.DeletePersonalData {
			changes["personal_deleted_at"] = ev.At
		}
		if err := tx.Table("requests").Where("id = ?", ev.RequestID).Updates(changes).Error; err != nil {
			return fmt.Errorf("update request %s: %w", ev.RequestID, err)
		}
		if err := writeAnswers(tx, ev); err != nil {
			return err
		}
		if ev.DeletePersonalData {
			if err := deletePersonalData(tx, ev.RequestID); err != nil {
				return err
			}
		}
		return also.run(tx)
	})
	return recorded, err
}

func writeAnswers(tx *gorm.DB, ev RequestEventRecord) error {
	for _, code := range sortedKeys(ev.Answers) {
		a := ev.Answers[code]
		err := tx.Clauses(clause.OnConflict{
			Columns:   []clause.Column{{Name: "request_id"}, {Name: "question_code"}},
			DoUpdates: clause.AssignmentColumns([]string{"value", "personal", "answered_at"}),
		}).Table("request_answers").Create(map[string]any{
			"request_id": ev.RequestID, "question_code": code, "value": a.Value, "personal": a.Personal, "answered_at": ev.At,
		}).Error
		if err != nil {
			return fmt.Errorf("record answer to %s: %w", code, err)
		}
	}
	return nil
}

// deletePersonalData erases what identifies the data subject: the
// personal fields, personal answers and free texts. The request's frame
// (reference, authorities, dates, states) stays for the statistics.
func deletePersonalData(tx *gorm.DB, requestID uuid.UUID) error {
	steps := []struct{ what, query string }{
		{"personal fields", "DELETE FROM request_personal_data WHERE request_id = ?"},
		{"personal answers", "UPDATE request_answers SET value = '' WHERE request_id = ? AND personal"},
		// The text's salt goes with it: the digest that stays in the
		// audit chain can then no longer be tested against a guess.
		{"personal texts", "UPDATE request_events SET text = '', text_salt = NULL WHERE request_id = ? AND (personal OR text <> '') AND text_salt IS NOT NULL"},
		{"free text", "UPDATE requests SET free_text = '' WHERE id = ?"},
		{"personal attachments", "UPDATE request_attachments SET content = NULL, filename = 'deleted', deleted_at = now() WHERE request_id = ? AND personal AND deleted_at IS NULL"},
	}
	for _, step := range steps {
		if err := tx.Exec(step.query, requestID).Error; err != nil {
			return fmt.Errorf("delete %s of request %s: %w", step.what, requestID, err)
		}
	}
	return nil
}

func nullIfZero(n int) any {
	if n == 0 {
		return nil
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
