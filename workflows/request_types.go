package workflows

import (
	"time"

	"github.com/google/uuid"
)

// RequestWorkflowName names the workflow that carries one information
// request from sending to the deletion of its personal data.
const RequestWorkflowName = "InformationRequest"

// RequestWorkflowID is the business key of a request's workflow.
func RequestWorkflowID(requestID uuid.UUID) string { return "request/" + requestID.String() }

// RequestState is where a sent request stands. A draft has no workflow yet.
type RequestState string

// The states of a sent request (SPEC §3).
const (
	AwaitingAcceptance     RequestState = "AWAITING_ACCEPTANCE"
	Accepted               RequestState = "ACCEPTED"
	Answered               RequestState = "ANSWERED"
	ClarificationRequested RequestState = "CLARIFICATION_REQUESTED"
	Referred               RequestState = "REFERRED"
	Closed                 RequestState = "CLOSED"
	Withdrawn              RequestState = "WITHDRAWN"
)

// Open reports whether the request still waits for somebody.
func (s RequestState) Open() bool { return s != Closed && s != Withdrawn }

// SendUpdate is sent together with the workflow's start: it returns once
// the request shows as sent in the read model.
const SendUpdate = "send"

// Action is what an official does to a request; each is an update of the
// request's workflow under the same name.
type Action string

// The actions on a sent request.
const (
	ActAccept               Action = "accept"
	ActForward              Action = "forward"
	ActAssign               Action = "assign"
	ActAnswer               Action = "answer"
	ActRequestClarification Action = "request-clarification"
	ActClarify              Action = "clarify"
	ActClose                Action = "close"
	ActWithdraw             Action = "withdraw"
	ActRefer                Action = "refer"
	ActMessage              Action = "message"
	ActProposeDeadline      Action = "propose-deadline"
	ActAgreeDeadline        Action = "agree-deadline"
)

// Actions lists every action, in the order the API documents them.
func Actions() []Action {
	return []Action{ActAccept, ActForward, ActAssign, ActAnswer, ActRequestClarification, ActClarify,
		ActClose, ActWithdraw, ActRefer, ActMessage, ActProposeDeadline, ActAgreeDeadline}
}

// Side is the part a caller plays in a request.
type Side string

// The sides of a request.
const (
	Requesting Side = "requesting"
	Responding Side = "responding"
)

// RequestDeadlines are the area's deadline rules, copied into the workflow
// when the request is sent so that a later change of the area's data does
// not move the deadlines of requests already under way.
type RequestDeadlines struct {
	AcceptanceReminderDays  []int
	AcceptanceEscalateDay   int
	ReplyReminderDaysBefore []int
	ReplyEscalateDaysAfter  int
	ReplyEscalateBothAfter  int
	BlockAfterMonths        int
	DeleteAfterMonths       int
}

// DefaultRequestDeadlines are SPEC §3's and §4's defaults.
func DefaultRequestDeadlines() RequestDeadlines {
	return RequestDeadlines{
		AcceptanceReminderDays:  []int{3, 6},
		AcceptanceEscalateDay:   7,
		ReplyReminderDaysBefore: []int{3, 0},
		ReplyEscalateDaysAfter:  3,
		ReplyEscalateBothAfter:  10,
		BlockAfterMonths:        6,
		DeleteAfterMonths:       36,
	}
}

// daysPerMonth turns retention months into days of OPENIMI_DAY: the mean
// calendar month, so that 36 months are three years to the day on average
// and data are never deleted early, whatever the length of a day.
const daysPerMonth = 365.25 / 12

// RequestInput starts a request's workflow when it is sent. After a
// continue-as-new, Resume carries the state so far.
type RequestInput struct {
	RequestID           uuid.UUID
	Reference           string
	Area                string
	RequestingAuthority uuid.UUID
	RequestingCountry   string
	RespondingAuthority uuid.UUID
	RespondingCountry   string
	// SentAt anchors every deadline; NeededByDays counts days of Day from
	// it to the date the requester needs the answer by.
	SentAt       time.Time
	NeededByDays int
	Day          time.Duration
	Deadlines    RequestDeadlines
	SentBy       uuid.UUID
	// ContinueAsNewAfter bounds the events of one run: after that many the
	// workflow continues as new even before the server suggests it. Zero
	// leaves it to the server.
	ContinueAsNewAfter int              `json:",omitempty"`
	Resume             *RequestProgress `json:",omitempty"`
}

// RequestProgress is everything the workflow knows beyond its input; it
// travels through continue-as-new.
type RequestProgress struct {
	State               RequestState
	RespondingAuthority uuid.UUID
	// AcceptedBy is the responding authority that accepted; a forward
	// clears it.
	AcceptedBy      uuid.UUID
	AssignedHandler uuid.UUID
	// AcceptanceClockFrom is when the acceptance deadlines start: sending,
	// or the last forward.
	AcceptanceClockFrom time.Time
	// ReplyDueDays counts days of Day from SentAt to the agreed reply date;
	// ReplyDueSetAt is when it was last set, so that a reminder whose time
	// had already passed at that moment is not sent late.
	ReplyDueDays    int
	ReplyDueSetAt   time.Time
	ProposedDueDays int
	ProposedBy      Side
	Answered        bool
	ClosedAt        time.Time
	Fired           []string
	// Missed lists the deadlines of Fired whose record the database
	// refused for good: skipped, so that the loop goes on.
	Missed          []string `json:",omitempty"`
	Events          int
	PersonalBlocked bool
	PersonalDeleted bool
	EscalatedAt     time.Time
	Overdue         bool
}

// RequestActor is who acts, as the API authenticated them. The flags say
// what the caller's roles allow in this request's area; the workflow checks
// them against its own state.
type RequestActor struct {
	UserID      uuid.UUID
	AuthorityID uuid.UUID
	Handler     bool
	Allocator   bool
	// Coordinator is set when a coordinator intervenes: the sides of the
	// request its scope covers.
	Coordinator CoordinatorScope `json:",omitzero"`
}

// CoordinatorScope says which authorities of a request an intervening
// coordinator coordinates, as the API found from the directory, and the
// coordinator's own country, which the workflow checks against the
// request's.
type CoordinatorScope struct {
	Country    string
	Requesting bool
	Responding bool
}

// RequestCommand is the payload of every action update: who acts, and the
// action's own fields (only those of the action are read).
type RequestCommand struct {
	Actor RequestActor
	// ExpectedResponding is the responding authority the caller saw when
	// deciding; a coordinator's intervention is refused when the request
	// has moved to another authority since, which may be outside its scope.
	ExpectedResponding uuid.UUID `json:",omitempty"`
	// accept, propose-deadline: the reply date proposed, in days from
	// sending; zero keeps the needed-by date.
	ProposedDueDays int `json:",omitempty"`
	// forward: the authority that takes over.
	ForwardTo        uuid.UUID `json:",omitempty"`
	ForwardToCountry string    `json:",omitempty"`
	// assign, coordinator-accept: the handler chosen.
	Handler uuid.UUID `json:",omitempty"`
	// return: the state a referred request goes back to.
	ReturnTo RequestState `json:",omitempty"`
	// answer, clarify, request-clarification, message, refer, withdraw,
	// forward: the text written, and its language; an intervention: the
	// coordinator's reason or note.
	Text     string `json:",omitempty"`
	TextLang string `json:",omitempty"`
	// answer: one answer per question, by question code.
	Answers []QuestionAnswer `json:",omitempty"`
	// close: optional ratings, 1 (poor) to 5 (excellent).
	TimelinessRating int `json:",omitempty"`
	EffortRating     int `json:",omitempty"`
}

// QuestionAnswer answers one question; Value is typed as the question says
// (yes/no, an option code, a date, free text), checked by the API.
type QuestionAnswer struct {
	Question string
	Value    string
	// Personal says the question asks for personal data.
	Personal bool `json:",omitempty"`
}

// RequestStatus is what an action returns: the request's state once the
// action is visible in the read model.
type RequestStatus struct {
	State               RequestState
	RespondingAuthority uuid.UUID
	// AcceptedBy is the responding authority that accepted; a forward
	// clears it.
	AcceptedBy      uuid.UUID
	AssignedHandler uuid.UUID `json:",omitempty"`
	ReplyDueDays    int
	ProposedDueDays int `json:",omitempty"`
	Event           int
}

// Types of the errors action validators return; the API maps them to
// statuses (wrong state 409, not allowed 403, bad payload 422).
const (
	ErrTypeWrongState    = "WrongState"
	ErrTypeNotAllowed    = "NotAllowed"
	ErrTypeInvalidAction = "InvalidAction"
	ErrTypeBusy          = "Busy"
)
