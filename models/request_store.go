package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// Draft is the state of a request not yet sent; it has no workflow.
const Draft = "DRAFT"

// Request is an information request as the read model holds it.
type Request struct {
	ID                  uuid.UUID `gorm:"type:uuid;default:gen_random_uuid()"`
	Reference           string
	AreaCode            string
	RequestingAuthority uuid.UUID `gorm:"type:uuid"`
	RespondingAuthority uuid.UUID `gorm:"type:uuid"`
	CreatedBy           uuid.UUID `gorm:"type:uuid"`
	State               string
	Subject             string
	SubjectLang         string
	Questions           StringArray
	FreeText            string
	FreeTextLang        string
	NeededBy            time.Time `gorm:"type:date"`
	SentAt              *time.Time
	ReplyDue            *time.Time
	ReplyDueDays        *int
	ProposedDueDays     *int
	AcceptanceClockFrom *time.Time
	AssignedHandler     *uuid.UUID `gorm:"type:uuid"`
	AcceptedBy          *uuid.UUID `gorm:"type:uuid"`
	SendingAt           *time.Time
	Overdue             bool
	EscalatedAt         *time.Time
	AcceptedAt          *time.Time
	AnsweredAt          *time.Time
	ClosedAt            *time.Time
	PersonalBlockedAt   *time.Time
	PersonalDeletedAt   *time.Time
	TimelinessRating    *int
	EffortRating        *int
	LastEvent           int
	CreatedAt           time.Time
	UpdatedAt           time.Time
}

// PersonalFields are the data subject's personal data, by field name.
type PersonalFields = Translations

// RequestPersonalData is where a request's personal data live apart.
type RequestPersonalData struct {
	RequestID uuid.UUID `gorm:"type:uuid;primaryKey"`
	Fields    PersonalFields
}

// TableName keeps GORM's pluralising away from a singular table.
func (RequestPersonalData) TableName() string { return "request_personal_data" }

// RequestAnswer is the latest answer to one question.
type RequestAnswer struct {
	RequestID    uuid.UUID `gorm:"type:uuid"`
	QuestionCode string
	Value        string
	Personal     bool
	AnsweredAt   time.Time
}

// RequestEventRow is one timeline entry as stored.
type RequestEventRow struct {
	ID        int64
	RequestID uuid.UUID `gorm:"type:uuid"`
	EventKey  string
	Kind      string
	ActorUser *uuid.UUID `gorm:"type:uuid"`
	Authority *uuid.UUID `gorm:"type:uuid"`
	Text      string
	TextLang  string
	Personal  bool
	Details   JSONObject
	At        time.Time
}

// TableName names the timeline table.
func (RequestEventRow) TableName() string { return "request_events" }

// CreateDraft stores a new draft and its personal data, giving it the next
// readable reference of its year.
func (s *Store) CreateDraft(ctx context.Context, r *Request, personal PersonalFields) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var seq int64
		if err := tx.Raw("SELECT nextval('request_reference_seq')").Scan(&seq).Error; err != nil {
			return fmt.Errorf("next request reference: %w", err)
		}
		r.Reference = fmt.Sprintf("IMI-%d-%06d", time.Now().UTC().Year(), seq)
		r.State = Draft
		if err := tx.Create(r).Error; err != nil {
			return fmt.Errorf("create draft: %w", err)
		}
		return tx.Create(&RequestPersonalData{RequestID: r.ID, Fields: personal}).Error
	})
}

// Request loads a request.
func (s *Store) Request(ctx context.Context, id uuid.UUID) (Request, error) {
	var r Request
	err := s.db.WithContext(ctx).Take(&r, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Request{}, ErrNotFound
	}
	if err != nil {
		return Request{}, fmt.Errorf("load request: %w", err)
	}
	return r, nil
}

// ErrNotDraft: the request was sent; drafts alone are edited or deleted.
var ErrNotDraft = fmt.Errorf("the request has been sent: only a draft is edited or deleted: %w", ErrConflict)

// UpdateDraft changes a draft under a row lock.
func (s *Store) UpdateDraft(ctx context.Context, id uuid.UUID, change func(r *Request, personal PersonalFields) (PersonalFields, error)) (Request, error) {
	var r Request
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Clauses(lockForUpdate).Take(&r, "id = ?", id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return ErrNotFound
			}
			return fmt.Errorf("lock draft: %w", err)
		}
		if r.State != Draft || r.SendingAt != nil {
			return ErrNotDraft
		}
		var pd RequestPersonalData
		if err := tx.Take(&pd, "request_id = ?", id).Error; err != nil {
			return fmt.Errorf("load personal data: %w", err)
		}
		fields, err := change(&r, pd.Fields)
		if err != nil {
			return err
		}
		r.UpdatedAt = time.Now().UTC()
		if err := tx.Save(&r).Error; err != nil {
			return fmt.Errorf("save draft: %w", err)
		}
		return tx.Model(&RequestPersonalData{}).Where("request_id = ?", id).Update("fields", fields).Error
	})
	return r, err
}

// DeleteDraft removes a draft; a sent request is never deleted.
func (s *Store) DeleteDraft(ctx context.Context, id uuid.UUID) error {
	res := s.db.WithContext(ctx).Exec("DELETE FROM requests WHERE id = ? AND state = ? AND sending_at IS NULL", id, Draft)
	if res.Error != nil {
		return fmt.Errorf("delete draft: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		if _, err := s.Request(ctx, id); err != nil {
			return err
		}
		return ErrNotDraft
	}
	return nil
}

// PersonalData loads a request's personal fields.
func (s *Store) PersonalData(ctx context.Context, id uuid.UUID) (PersonalFields, error) {
	var pd RequestPersonalData
	err := s.db.WithContext(ctx).Take(&pd, "request_id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return PersonalFields{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load personal data: %w", err)
	}
	return pd.Fields, nil
}

// Answers loads a request's answers, by question code.
func (s *Store) Answers(ctx context.Context, id uuid.UUID) (map[string]RequestAnswer, error) {
	var rows []RequestAnswer
	if err := s.db.WithContext(ctx).Where("request_id = ?", id).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load answers: %w", err)
	}
	out := make(map[string]RequestAnswer, len(rows))
	for _, a := range rows {
		out[a.QuestionCode] = a
	}
	return out, nil
}

// RequestTimeline loads every event of a request, in order.
func (s *Store) RequestTimeline(ctx context.Context, id uuid.UUID) ([]RequestEventRow, error) {
	var rows []RequestEventRow
	if err := s.db.WithContext(ctx).Where("request_id = ?", id).Order("at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load timeline: %w", err)
	}
	return rows, nil
}

// RequestFilter selects requests of a box.
type RequestFilter struct {
	Authority uuid.UUID
	// Incoming lists requests the authority responds to; otherwise those it sent or drafts.
	Incoming bool
	// Areas are the areas the reader holds a role in: need-to-know is per
	// area, so a box shows no request of any other (SPEC §4).
	Areas []string
	State string
	Area  string
	// Reference, when given, keeps only the request of that reference.
	Reference string
	Overdue   *bool
	Escalated *bool
	// AsOf and Day are the moment and the day length overdue is judged by.
	AsOf     time.Time
	Day      time.Duration
	Page     int
	PageSize int
}

// RequestListRow is a request as a box lists it, with the other party's
// name and country, read in the same statement.
type RequestListRow struct {
	Request      `gorm:"embedded"`
	OtherName    string
	OtherCountry string
}

// ListRequests pages through a box, most recently changed first; each row
// carries the other party (the requesting authority in the incoming box,
// the responding one in the outgoing box) from one join, not one query per
// row.
func (s *Store) ListRequests(ctx context.Context, f RequestFilter) ([]RequestListRow, int64, error) {
	q := s.db.WithContext(ctx).Model(&Request{})
	other := "requests.responding_authority"
	if f.Incoming {
		q = q.Where("requests.responding_authority = ? AND requests.state <> ?", f.Authority, Draft)
		other = "requests.requesting_authority"
	} else {
		q = q.Where("requests.requesting_authority = ?", f.Authority)
	}
	if len(f.Areas) == 0 {
		return []RequestListRow{}, 0, nil
	}
	q = q.Where("requests.area_code IN ?", f.Areas)
	if f.State != "" {
		q = q.Where("requests.state = ?", f.State)
	}
	if f.Area != "" {
		q = q.Where("requests.area_code = ?", f.Area)
	}
	if f.Reference != "" {
		q = q.Where("requests.reference = ?", f.Reference)
	}
	if f.Overdue != nil {
		cond := OverdueCondition("requests.")
		if !*f.Overdue {
			cond = "NOT " + cond
		}
		q = q.Where(cond, map[string]any{"asof": f.AsOf, "day": f.Day.Seconds()})
	}
	if f.Escalated != nil {
		if *f.Escalated {
			q = q.Where("requests.escalated_at IS NOT NULL")
		} else {
			q = q.Where("requests.escalated_at IS NULL")
		}
	}
	var total int64
	if err := q.Session(&gorm.Session{}).Count(&total).Error; err != nil {
		return nil, 0, fmt.Errorf("count requests: %w", err)
	}
	var rows []RequestListRow
	err := q.Session(&gorm.Session{}).
		Select("requests.*, other.official_name AS other_name, other.country_code AS other_country").
		Joins("LEFT JOIN authorities other ON other.id = " + other).
		Order("requests.updated_at DESC, requests.id").Limit(f.PageSize).Offset((f.Page - 1) * f.PageSize).
		Find(&rows).Error
	if err != nil {
		return nil, 0, fmt.Errorf("list requests: %w", err)
	}
	return rows, total, nil
}

// AccessLogEntry records one read of a request's personal data.
type AccessLogEntry struct {
	ID          int64
	RequestID   uuid.UUID  `gorm:"type:uuid"`
	UserID      uuid.UUID  `gorm:"type:uuid"`
	AuthorityID *uuid.UUID `gorm:"type:uuid"`
	What        string
	Reason      string
	At          time.Time `gorm:"default:now()"`
}

// TableName names the access log.
func (AccessLogEntry) TableName() string { return "personal_data_access_log" }

// LogPersonalDataAccess appends to the access log.
func (s *Store) LogPersonalDataAccess(ctx context.Context, e AccessLogEntry) error {
	if err := s.db.WithContext(ctx).Omit("ID", "At").Clauses(clause.Returning{}).Create(&e).Error; err != nil {
		return fmt.Errorf("log personal data access: %w", err)
	}
	return nil
}

// AccessLog lists the reads of a request's personal data, oldest first.
func (s *Store) AccessLog(ctx context.Context, requestID uuid.UUID) ([]AccessLogEntry, error) {
	var rows []AccessLogEntry
	if err := s.db.WithContext(ctx).Where("request_id = ?", requestID).Order("at, id").Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("load access log: %w", err)
	}
	return rows, nil
}

// Attachment is a file added to a request.
type Attachment struct {
	ID          uuid.UUID `gorm:"type:uuid;default:gen_random_uuid()"`
	RequestID   uuid.UUID `gorm:"type:uuid"`
	UploadedBy  uuid.UUID `gorm:"type:uuid"`
	AuthorityID uuid.UUID `gorm:"type:uuid"`
	Filename    string
	ContentType string
	SizeBytes   int
	Sha256      []byte
	Personal    bool
	Content     []byte
	DeletedAt   *time.Time
	CreatedAt   time.Time
}

// TableName names the attachments table.
func (Attachment) TableName() string { return "request_attachments" }

// AddAttachment stores a file and its timeline entry in one transaction.
func (s *Store) AddAttachment(ctx context.Context, a *Attachment) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(a).Error; err != nil {
			return fmt.Errorf("store attachment: %w", err)
		}
		// The file's name may name the data subject: the timeline keeps
		// only the attachment's id.
		details := fmt.Sprintf(`{"attachment": %q, "personal": %t}`, a.ID, a.Personal)
		err := tx.Exec(`INSERT INTO request_events (request_id, event_key, kind, actor_user, authority, details, at)
			VALUES (?, ?, 'attachment_added', ?, ?, ?, now())`,
			a.RequestID, "attachment/"+a.ID.String(), a.UploadedBy, a.AuthorityID, details).Error
		if err != nil {
			return fmt.Errorf("record attachment on the timeline: %w", err)
		}
		return nil
	})
}

// Attachments lists a request's files without their content.
func (s *Store) Attachments(ctx context.Context, requestID uuid.UUID) ([]Attachment, error) {
	var rows []Attachment
	err := s.db.WithContext(ctx).Omit("Content").Where("request_id = ?", requestID).Order("created_at, id").Find(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list attachments: %w", err)
	}
	return rows, nil
}

// Attachment loads one file of a request, with its content.
func (s *Store) Attachment(ctx context.Context, requestID, id uuid.UUID) (Attachment, error) {
	var a Attachment
	err := s.db.WithContext(ctx).Take(&a, "id = ? AND request_id = ?", id, requestID).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Attachment{}, ErrNotFound
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("load attachment: %w", err)
	}
	return a, nil
}

// ClaimForSending marks a draft as being sent, so that no edit or deletion
// slips in between reading it and its workflow recording it as sent. It
// fails with ErrNotDraft when the request was sent or is being sent.
func (s *Store) ClaimForSending(ctx context.Context, id uuid.UUID) (Request, error) {
	var r Request
	res := s.db.WithContext(ctx).Raw(`UPDATE requests SET sending_at = now()
		WHERE id = ? AND state = ? AND sending_at IS NULL RETURNING *`, id, Draft).Scan(&r)
	if res.Error != nil {
		return Request{}, fmt.Errorf("claim draft for sending: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return Request{}, ErrNotDraft
	}
	return r, nil
}

// ReleaseStaleClaim releases the claim of a draft taken at claimedAt and
// still held, when its sender vanished before starting the workflow; it
// reports whether it did. A newer claim is left alone.
func (s *Store) ReleaseStaleClaim(ctx context.Context, id uuid.UUID, claimedAt time.Time) (bool, error) {
	res := s.db.WithContext(ctx).Exec("UPDATE requests SET sending_at = NULL WHERE id = ? AND state = ? AND sending_at = ?", id, Draft, claimedAt)
	if res.Error != nil {
		return false, fmt.Errorf("release a stale claim: %w", res.Error)
	}
	return res.RowsAffected > 0, nil
}

// ReleaseSending gives a draft back to its authors after its sending failed.
func (s *Store) ReleaseSending(ctx context.Context, id uuid.UUID) error {
	err := s.db.WithContext(ctx).Exec("UPDATE requests SET sending_at = NULL WHERE id = ? AND state = ?", id, Draft).Error
	if err != nil {
		return fmt.Errorf("release draft: %w", err)
	}
	return nil
}
