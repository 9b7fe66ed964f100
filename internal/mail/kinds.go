package mail

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
)

// Kind is a kind of notification; its name is the name of its templates.
type Kind string

// Mails about a request for information. Each names the request by its
// reference in the subject, and they thread together by that reference.
const (
	RequestReceived        Kind = "request_received"
	RequestForwarded       Kind = "request_forwarded"
	RequestEscalated       Kind = "request_escalated"
	RequestAccepted        Kind = "request_accepted"
	RequestAnswered        Kind = "request_answered"
	ClarificationRequested Kind = "clarification_requested"
	ClarificationGiven     Kind = "clarification_given"
	DeadlineProposed       Kind = "deadline_proposed"
	RequestClosed          Kind = "request_closed"
	RequestWithdrawn       Kind = "request_withdrawn"
	RequestReferred        Kind = "request_referred"
	AcceptanceReminder     Kind = "acceptance_reminder"
	ReplyReminder          Kind = "reply_reminder"
	ReplyOverdueEscalation Kind = "reply_overdue_escalation"
	// RequestChased: a coordinator reminds the responding authority; the
	// note itself is read in OpenIMI, since it may name the data subject.
	RequestChased Kind = "request_chased"
	// CoordinatorNote: a coordinator wrote to the other country's
	// coordinators about a referred request.
	CoordinatorNote Kind = "coordinator_note"
	// RequestReturned: the coordinators gave a referred request back to
	// the recipient's side.
	RequestReturned Kind = "request_returned"
)

// Mails about an authority's registration and an official's account.
const (
	RegistrationPending   Kind = "registration_pending"
	RegistrationReminder  Kind = "registration_reminder"
	RegistrationEscalated Kind = "registration_escalated"
	RegistrationApproved  Kind = "registration_approved"
	RegistrationRejected  Kind = "registration_rejected"
	Invitation            Kind = "invitation"
	AccountActivation     Kind = "account_activation"
	PasswordReset         Kind = "password_reset"
)

// Kinds lists every kind of notification.
func Kinds() []Kind {
	return []Kind{
		RequestReceived, RequestForwarded, RequestEscalated, RequestAccepted,
		RequestAnswered, ClarificationRequested, ClarificationGiven, DeadlineProposed,
		RequestClosed, RequestWithdrawn, RequestReferred, AcceptanceReminder,
		ReplyReminder, ReplyOverdueEscalation, RequestChased, CoordinatorNote, RequestReturned,
		RegistrationPending, RegistrationReminder, RegistrationEscalated,
		RegistrationApproved, RegistrationRejected, Invitation, AccountActivation,
		PasswordReset,
	}
}

// The names of the fields of Data, as the templates know them.
const (
	FieldReference           = "Reference"
	FieldRequestingAuthority = "RequestingAuthority"
	FieldRespondingAuthority = "RespondingAuthority"
	FieldAuthority           = "Authority"
	FieldDeadline            = "Deadline"
	FieldExpiresOn           = "ExpiresOn"
	FieldPath                = "Path"
)

// Needs lists the fields of Data that a kind's templates show, Path always
// among them. Notification.Outbox refuses data that lacks one, and keeps no
// other: the outbox stores only what the mail says.
func (k Kind) Needs() []string {
	const (
		ref  = FieldReference
		req  = FieldRequestingAuthority
		resp = FieldRespondingAuthority
		auth = FieldAuthority
		due  = FieldDeadline
		exp  = FieldExpiresOn
		path = FieldPath
	)
	switch k {
	case RequestReceived, RequestForwarded, AcceptanceReminder, ReplyReminder, RequestChased:
		return []string{ref, req, due, path}
	case RequestEscalated, RequestReferred, CoordinatorNote, RequestReturned:
		return []string{ref, req, resp, path}
	case RequestAccepted, DeadlineProposed:
		return []string{ref, resp, due, path}
	case RequestAnswered, ClarificationGiven:
		return []string{ref, resp, path}
	case ClarificationRequested, RequestClosed, RequestWithdrawn:
		return []string{ref, req, path}
	case ReplyOverdueEscalation:
		return []string{ref, req, resp, due, path}
	case RegistrationPending, RegistrationReminder, RegistrationEscalated,
		RegistrationApproved, RegistrationRejected:
		return []string{auth, path}
	case Invitation, AccountActivation:
		return []string{auth, exp, path}
	case PasswordReset:
		return []string{path}
	}
	return nil
}

// Known reports whether k is a kind this build can render.
func (k Kind) Known() bool { return slices.Contains(Kinds(), k) }

// Data is what a notification shows. It has, on purpose, no field for
// personal data: an email leaves the system's access control, so it carries
// only references, authority names, dates and a link into OpenIMI, where the
// official reads the rest after logging in.
type Data struct {
	// Reference is the request's reference, e.g. "IMI-2026-000123".
	Reference string
	// RequestingAuthority and RespondingAuthority are the names of the two
	// sides of a request.
	RequestingAuthority string
	RespondingAuthority string
	// Authority is the authority a registration, invitation or account
	// concerns (for an invitation: the one that invites).
	Authority string
	// Deadline is the date by which the recipient is to act, or the date
	// that passed; only its calendar date (in UTC) is shown.
	Deadline time.Time
	// ExpiresOn is the date a link in an invitation or activation stops
	// working.
	ExpiresOn time.Time
	// Path is the page to open, below PUBLIC_URL, e.g. "/requests/<id>".
	// It may carry a one-time token (activation, password reset).
	Path string
}

// dateLayout is how dates travel in the outbox: a calendar date, formatted
// for the reader's language only when the mail is rendered.
const dateLayout = "2006-01-02"

// fields is the data as the templates see it: only the fields that are set.
func (d Data) fields() map[string]string {
	f := map[string]string{}
	set := func(name, value string) {
		if v := strings.TrimSpace(value); v != "" {
			f[name] = v
		}
	}
	set(FieldReference, d.Reference)
	set(FieldRequestingAuthority, d.RequestingAuthority)
	set(FieldRespondingAuthority, d.RespondingAuthority)
	set(FieldAuthority, d.Authority)
	if !d.Deadline.IsZero() {
		f[FieldDeadline] = d.Deadline.UTC().Format(dateLayout)
	}
	if !d.ExpiresOn.IsZero() {
		f[FieldExpiresOn] = d.ExpiresOn.UTC().Format(dateLayout)
	}
	set(FieldPath, d.Path)
	return f
}

// Recipient is a person a notification goes to.
type Recipient struct {
	Address string
	// Language is the recipient's preferred language, e.g. "de"; English
	// is used when there are no templates in it.
	Language string
	// AuthorityID is the authority the recipient works for, whose local
	// data administrator sees the mail if it cannot be delivered; nil for
	// people of no authority yet (an invited authority's contact).
	AuthorityID *uuid.UUID
}

// Notification is one event's mail, to be written into the outbox for each
// of its recipients in the transaction that records the event:
//
//	mails, err := mail.Notification{Kind: mail.RequestAccepted, EventKey: ..., Data: ...}.Outbox(recipients...)
//	...
//	err = models.EnqueueMail(tx, mails...)
type Notification struct {
	Kind Kind
	// EventKey names the event uniquely and stably, e.g.
	// "request/<id>/accepted" or "request/<id>/reminder/acceptance/day3":
	// an activity retried with the same key enqueues nothing new.
	EventKey string
	// ThreadKey groups mails into one thread in the mail program; when
	// empty, the request's Reference is used.
	ThreadKey string
	Data      Data
}

// ErrInvalidNotification is wrapped by Outbox's errors: the caller built a
// notification that can never be sent, a bug rather than a passing fault.
var ErrInvalidNotification = errors.New("invalid notification")

// Outbox returns the outbox rows of the notification, one per recipient, for
// models.EnqueueMail. It checks what can be checked before the event is
// committed: a known kind, an event key, every field the kind shows and a
// path inside OpenIMI. A malformed address is not refused here: one
// official's bad address must not stop the event, so that mail is recorded
// as failed at delivery, where the authority's administrator sees it.
func (n Notification) Outbox(recipients ...Recipient) ([]models.OutboxMail, error) {
	if !n.Kind.Known() {
		return nil, fmt.Errorf("%w: unknown kind %q", ErrInvalidNotification, n.Kind)
	}
	if strings.TrimSpace(n.EventKey) == "" {
		return nil, fmt.Errorf("%w: %s without an event key", ErrInvalidNotification, n.Kind)
	}
	all := n.Data.fields()
	kept := map[string]string{}
	for _, name := range n.Kind.Needs() {
		v, ok := all[name]
		if !ok {
			return nil, fmt.Errorf("%w: %s needs %s", ErrInvalidNotification, n.Kind, name)
		}
		kept[name] = v
	}
	if err := checkPath(kept[FieldPath]); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrInvalidNotification, n.Kind, err)
	}
	data, err := encodeData(kept)
	if err != nil {
		return nil, err
	}
	thread := n.ThreadKey
	if thread == "" {
		thread = n.Data.Reference
	}
	mails := make([]models.OutboxMail, 0, len(recipients))
	for _, r := range recipients {
		mails = append(mails, models.OutboxMail{
			EventKey:    n.EventKey,
			Recipient:   strings.TrimSpace(r.Address),
			Language:    normalizeLanguage(r.Language),
			Template:    string(n.Kind),
			Data:        data,
			ThreadKey:   thread,
			AuthorityID: r.AuthorityID,
		})
	}
	return mails, nil
}

// checkPath accepts only a path of OpenIMI's own, so that a link in a mail
// can never lead elsewhere.
func checkPath(p string) error {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n\t ") {
		return fmt.Errorf("path %q must be an absolute path below PUBLIC_URL", p)
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" {
		return fmt.Errorf("path %q must be an absolute path below PUBLIC_URL", p)
	}
	return nil
}

// normalizeLanguage reduces a language tag to its primary language, in
// lower case: "de-AT" and "DE" are German.
func normalizeLanguage(tag string) string {
	tag = strings.ToLower(strings.TrimSpace(tag))
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	if tag == "" {
		return fallbackLanguage
	}
	return tag
}

// To addresses an official in their own language, on behalf of their
// authority.
func To(u models.User) Recipient {
	return Recipient{Address: u.Email, Language: u.PreferredLanguage, AuthorityID: u.AuthorityID}
}
