package workflows

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/openimi/openimi/activities"
)

// RequestStatusQuery answers the request's current status without an
// update.
const RequestStatusQuery = "status"

// request is the workflow's memory: its input and what happened since.
type request struct {
	in RequestInput
	p  RequestProgress
	// acting is set while an action's activity runs: another action
	// arriving meanwhile is refused, so that of two conflicting actions one
	// wins. firing is set while a deadline is being recorded: an action
	// arriving then waits for it rather than being refused, since the
	// official did nothing wrong.
	acting bool
	firing bool
	// version changes with every transition; the deadline loop watches it.
	version int
	// runEvents counts the events of this run, for ContinueAsNewAfter.
	runEvents int
	// sent is set once the sending is in the read model; sendErr when the
	// sending could not be recorded for good, for the send update to return.
	sent    bool
	sendErr error
}

// InformationRequest drives one sent request through acceptance, reply,
// closure, and the blocking and deletion of its personal data.
func InformationRequest(ctx workflow.Context, in RequestInput) error {
	r := &request{in: in, sent: in.Resume != nil}
	if in.Resume != nil {
		r.p = *in.Resume
	} else {
		r.p = RequestProgress{
			State:               AwaitingAcceptance,
			RespondingAuthority: in.RespondingAuthority,
			AcceptanceClockFrom: in.SentAt,
			ReplyDueDays:        in.NeededByDays,
			ReplyDueSetAt:       in.SentAt,
		}
	}
	if err := r.setup(ctx); err != nil {
		return err
	}
	return r.run(ctx)
}

func (r *request) setup(ctx workflow.Context) error {
	for _, a := range Actions() {
		err := workflow.SetUpdateHandlerWithOptions(ctx, string(a),
			func(ctx workflow.Context, cmd RequestCommand) (RequestStatus, error) { return r.apply(ctx, a, cmd) },
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, cmd RequestCommand) error { return r.validate(ctx, a, cmd) }},
		)
		if err != nil {
			return fmt.Errorf("register %s: %w", a, err)
		}
	}
	for _, a := range Interventions() {
		err := workflow.SetUpdateHandlerWithOptions(ctx, string(a),
			func(ctx workflow.Context, cmd RequestCommand) (RequestStatus, error) { return r.apply(ctx, a, cmd) },
			workflow.UpdateHandlerOptions{Validator: func(ctx workflow.Context, cmd RequestCommand) error { return r.validate(ctx, a, cmd) }},
		)
		if err != nil {
			return fmt.Errorf("register %s: %w", a, err)
		}
	}
	err := workflow.SetUpdateHandler(ctx, SendUpdate, func(ctx workflow.Context) (RequestStatus, error) {
		if err := workflow.Await(ctx, func() bool { return r.sent || r.sendErr != nil }); err != nil {
			return RequestStatus{}, err
		}
		if r.sendErr != nil {
			return RequestStatus{}, r.sendErr
		}
		return r.status(), nil
	})
	if err != nil {
		return fmt.Errorf("register %s: %w", SendUpdate, err)
	}
	return workflow.SetQueryHandler(ctx, RequestStatusQuery, func() (RequestStatus, error) { return r.status(), nil })
}

func (r *request) status() RequestStatus {
	return RequestStatus{
		State: r.p.State, RespondingAuthority: r.p.RespondingAuthority, AssignedHandler: r.p.AssignedHandler,
		ReplyDueDays: r.p.ReplyDueDays, ProposedDueDays: r.p.ProposedDueDays, Event: r.p.Events,
	}
}

func refuse(errType, format string, args ...any) error {
	return temporal.NewApplicationError(fmt.Sprintf(format, args...), errType)
}

// validate refuses an action that the state or the caller's part in the
// request does not allow, before it enters the workflow's history.
func (r *request) validate(ctx workflow.Context, a Action, cmd RequestCommand) error {
	if r.acting || !r.sent {
		return refuse(ErrTypeBusy, "another action on this request is being recorded; try again")
	}
	if IsIntervention(a) {
		return r.validateIntervention(a, cmd)
	}
	rule, _ := ruleOf(a)
	if !slices.Contains(rule.states, r.p.State) {
		allowed := allowedIn(r.p.State)
		if len(allowed) == 0 {
			return refuse(ErrTypeWrongState, "the request is %s: no action is possible any more", r.p.State)
		}
		return refuse(ErrTypeWrongState, "the request is %s: %s is not possible; possible now: %s", r.p.State, a, strings.Join(allowed, ", "))
	}
	side, ok := r.sideOf(cmd.Actor)
	if !ok || (rule.side != "" && side != rule.side) {
		return refuse(ErrTypeNotAllowed, "%s is for the %s authority of this request", a, ruleSide(rule))
	}
	if rule.allocator && !cmd.Actor.Allocator {
		return refuse(ErrTypeNotAllowed, "%s needs the allocator role in this area", a)
	}
	if !rule.allocator && !cmd.Actor.Handler {
		return refuse(ErrTypeNotAllowed, "%s needs the request handler role in this area", a)
	}
	return r.validatePayload(ctx, a, side, cmd)
}

func ruleSide(r rule) string {
	if r.side == "" {
		return "requesting or responding"
	}
	return string(r.side)
}

func (r *request) sideOf(actor RequestActor) (Side, bool) {
	switch actor.AuthorityID {
	case r.in.RequestingAuthority:
		return Requesting, true
	case r.p.RespondingAuthority:
		return Responding, true
	}
	return "", false
}

func (r *request) validatePayload(ctx workflow.Context, a Action, side Side, cmd RequestCommand) error {
	today := r.daysSinceSent(workflow.Now(ctx))
	switch a {
	case ActAccept:
		if cmd.ProposedDueDays != 0 && cmd.ProposedDueDays <= today {
			return refuse(ErrTypeInvalidAction, "a proposed reply date must lie in the future")
		}
	case ActProposeDeadline:
		if cmd.ProposedDueDays <= today {
			return refuse(ErrTypeInvalidAction, "a proposed reply date must lie in the future")
		}
	case ActAgreeDeadline:
		if r.p.ProposedDueDays == 0 || r.p.ProposedBy == side {
			return refuse(ErrTypeWrongState, "there is no reply date proposed by the other side to agree to")
		}
		if r.p.ProposedDueDays <= today {
			return refuse(ErrTypeInvalidAction, "the proposed reply date has passed: ask for a new one")
		}
	case ActForward:
		if cmd.ForwardTo == uuid.Nil || cmd.ForwardTo == r.p.RespondingAuthority || cmd.ForwardTo == r.in.RequestingAuthority {
			return refuse(ErrTypeInvalidAction, "forward needs another authority to forward to")
		}
		if cmd.ForwardToCountry != r.in.RespondingCountry {
			return refuse(ErrTypeInvalidAction, "a request is forwarded only within the responding country (%s)", r.in.RespondingCountry)
		}
	case ActAssign:
		if cmd.Handler == uuid.Nil {
			return refuse(ErrTypeInvalidAction, "assign needs the handler to assign")
		}
	case ActAnswer:
		if len(cmd.Answers) == 0 {
			return refuse(ErrTypeInvalidAction, "an answer needs at least one answered question")
		}
	case ActRequestClarification, ActClarify, ActMessage, ActRefer:
		if strings.TrimSpace(cmd.Text) == "" {
			return refuse(ErrTypeInvalidAction, "%s needs a text", a)
		}
	case ActClose:
		for _, rating := range []int{cmd.TimelinessRating, cmd.EffortRating} {
			if rating < 0 || rating > 5 {
				return refuse(ErrTypeInvalidAction, "ratings go from 1 to 5")
			}
		}
	}
	return nil
}

// daysSinceSent counts the whole days of Day since the request was sent.
func (r *request) daysSinceSent(now time.Time) int {
	return int(now.Sub(r.in.SentAt) / r.in.Day)
}

// apply records an action and returns once it is visible in the read model.
func (r *request) apply(ctx workflow.Context, a Action, cmd RequestCommand) (RequestStatus, error) {
	if r.firing || r.acting || !r.sent {
		if err := workflow.Await(ctx, func() bool { return r.sent && !r.firing && !r.acting }); err != nil {
			return RequestStatus{}, err
		}
		// What was recorded meanwhile may have made the action impossible.
		if err := r.validate(ctx, a, cmd); err != nil {
			return RequestStatus{}, err
		}
	}
	r.acting = true
	defer func() { r.acting = false }()
	now := workflow.Now(ctx)
	next := r.p
	next.Fired = slices.Clone(r.p.Fired)
	switch a {
	case ActAccept:
		next.State = Accepted
		next.AcceptedBy = next.RespondingAuthority
		// The reply's reminders count from now: one whose moment passed
		// while the request waited for acceptance would arrive stale.
		next.ReplyDueSetAt = now
		if cmd.ProposedDueDays != 0 && cmd.ProposedDueDays != next.ReplyDueDays {
			next.ProposedDueDays, next.ProposedBy = cmd.ProposedDueDays, Responding
		}
	case ActForward:
		next.State = AwaitingAcceptance
		next.RespondingAuthority = cmd.ForwardTo
		next.AcceptedBy = uuid.Nil
		next.AssignedHandler = uuid.Nil
		next.AcceptanceClockFrom = now
		next.ProposedDueDays, next.ProposedBy = 0, ""
	case ActAssign:
		next.AssignedHandler = cmd.Handler
	case ActAnswer:
		next.State, next.Answered = Answered, true
	case ActRequestClarification:
		next.State = ClarificationRequested
	case ActClarify:
		next.State = Answered
	case ActClose:
		next.State, next.ClosedAt = Closed, now
	case ActWithdraw:
		next.State, next.ClosedAt = Withdrawn, now
	case ActRefer:
		next.State = Referred
	case ActProposeDeadline:
		next.ProposedDueDays, next.ProposedBy = cmd.ProposedDueDays, Responding
	case ActAgreeDeadline:
		next.ReplyDueDays, next.ReplyDueSetAt = next.ProposedDueDays, now
		next.ProposedDueDays, next.ProposedBy = 0, ""
		next.Overdue = false
	case CoordForward, CoordAccept, Chase, CoordNote, Return, CoordClose:
		applyIntervention(ctx, a, cmd, &next)
		if a == CoordAccept || a == Return {
			// The coordinator who accepts or returns a late request is
			// acting on it: escalating it to them again, at once, would
			// only bounce it back into their tray.
			for _, d := range r.deadlinesOf(next) {
				late := !d.at.After(now)
				if late && (d.kind == activities.ReplyEscalation || d.kind == activities.ReplyEscalationBoth) {
					next.Fired = append(next.Fired, d.key)
				}
			}
		}
	}
	next.Events++
	ev := activities.RequestEvent{
		RequestID:      r.in.RequestID,
		Key:            r.in.RequestID.String() + "/e" + strconv.Itoa(next.Events),
		Kind:           string(a),
		At:             now,
		ActorUser:      cmd.Actor.UserID,
		ActorAuthority: cmd.Actor.AuthorityID,
		Command:        toActivityCommand(cmd),
		After:          r.snapshot(next),
	}
	if err := recordEvent(actionContext(ctx), ev); err != nil {
		return RequestStatus{}, r.actionNotRecorded(ctx, a, next.Events, err)
	}
	r.p = next
	r.version++
	r.runEvents++
	return r.status(), nil
}

// actionNotRecorded ends an action whose recording failed for good: the
// request stays as it was (the deferred reset of acting lets the next
// action in), and the caller learns why, by the error's type.
func (r *request) actionNotRecorded(ctx workflow.Context, a Action, events int, err error) error {
	if !handlesRecordingFailures(ctx) {
		return fmt.Errorf("record %s: %w", a, err)
	}
	workflow.GetLogger(ctx).Error("action not recorded; the request is as it was", "action", string(a), "error", err)
	if !permanent(err) {
		// The last attempt may have committed as its time ran out, unseen:
		// its event key is not used again, so that such a late record
		// cannot pass for the next event (whose snapshot then sets the
		// request's row right again).
		r.p.Events = events
	}
	return notRecorded(string(a), err)
}

func toActivityCommand(cmd RequestCommand) activities.RequestEventCommand {
	out := activities.RequestEventCommand{
		ProposedDueDays: cmd.ProposedDueDays, ForwardTo: cmd.ForwardTo, Handler: cmd.Handler, ReturnTo: string(cmd.ReturnTo),
		Text: cmd.Text, TextLang: cmd.TextLang, TimelinessRating: cmd.TimelinessRating, EffortRating: cmd.EffortRating,
	}
	for _, ans := range cmd.Answers {
		out.Answers = append(out.Answers, activities.QuestionAnswer{Question: ans.Question, Value: ans.Value, Personal: ans.Personal})
	}
	return out
}

// snapshot is the read model's view of the request after an event.
func (r *request) snapshot(p RequestProgress) activities.RequestSnapshot {
	s := activities.RequestSnapshot{
		State:               string(p.State),
		RespondingAuthority: p.RespondingAuthority,
		AcceptedBy:          p.AcceptedBy,
		AssignedHandler:     p.AssignedHandler,
		ReplyDue:            r.in.SentAt.Add(time.Duration(p.ReplyDueDays) * r.in.Day),
		ReplyDueDays:        p.ReplyDueDays,
		ProposedDueDays:     p.ProposedDueDays,
		AcceptanceClockFrom: p.AcceptanceClockFrom,
		Overdue:             p.Overdue,
		EscalatedAt:         p.EscalatedAt,
		ClosedAt:            p.ClosedAt,
		PersonalBlocked:     p.PersonalBlocked,
		PersonalDeleted:     p.PersonalDeleted,
	}
	if p.ProposedDueDays != 0 {
		s.ProposedDue = r.in.SentAt.Add(time.Duration(p.ProposedDueDays) * r.in.Day)
	}
	return s
}

// deadline is a moment at which the workflow acts on its own.
type deadline struct {
	key  string
	kind activities.DeadlineKind
	at   time.Time
	// days is the day number or offset the deadline is named by.
	days int
}

func (r *request) days(n int) time.Duration { return time.Duration(n) * r.in.Day }

func (r *request) months(n int) time.Duration {
	return time.Duration(float64(n) * daysPerMonth * float64(r.in.Day))
}

// pending lists the deadlines still ahead in the current state, earliest
// first. Keys name the deadline with its anchor, so a forward or a new
// reply date yields new deadlines and one already fired never fires again.
func (r *request) pending() []deadline { return r.deadlinesOf(r.p) }

// deadlinesOf lists the deadlines not yet fired of a request in progress p.
func (r *request) deadlinesOf(p RequestProgress) []deadline {
	var out []deadline
	add := func(kind activities.DeadlineKind, anchor time.Time, days int, at time.Time) {
		key := fmt.Sprintf("%s/%d@%d", kind, days, anchor.UnixNano())
		if !slices.Contains(p.Fired, key) {
			out = append(out, deadline{key: key, kind: kind, at: at, days: days})
		}
	}
	d := r.in.Deadlines
	switch {
	case p.State == AwaitingAcceptance:
		from := p.AcceptanceClockFrom
		for _, day := range d.AcceptanceReminderDays {
			add(activities.AcceptanceReminder, from, day, from.Add(r.days(day)))
		}
		add(activities.AcceptanceEscalation, from, d.AcceptanceEscalateDay, from.Add(r.days(d.AcceptanceEscalateDay)))
	case p.State == Accepted:
		due := r.in.SentAt.Add(r.days(p.ReplyDueDays))
		for _, before := range d.ReplyReminderDaysBefore {
			at := due.Add(-r.days(before))
			// A reminder whose moment had passed when the date was set
			// would arrive late and say nothing new.
			if !at.Before(p.ReplyDueSetAt) {
				add(activities.ReplyReminder, due, before, at)
			}
		}
		add(activities.ReplyOverdue, due, 1, due.Add(r.days(1)))
		add(activities.ReplyEscalation, due, d.ReplyEscalateDaysAfter, due.Add(r.days(d.ReplyEscalateDaysAfter)))
		add(activities.ReplyEscalationBoth, due, d.ReplyEscalateBothAfter, due.Add(r.days(d.ReplyEscalateBothAfter)))
	case !p.State.Open():
		add(activities.PersonalDataBlocked, p.ClosedAt, d.BlockAfterMonths, p.ClosedAt.Add(r.months(d.BlockAfterMonths)))
		add(activities.PersonalDataDeleted, p.ClosedAt, d.DeleteAfterMonths, p.ClosedAt.Add(r.months(d.DeleteAfterMonths)))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at.Before(out[j].at) })
	return out
}

func (r *request) run(ctx workflow.Context) error {
	if r.in.Resume == nil {
		if err := r.recordSending(ctx); err != nil {
			return err
		}
		r.sent = true
	}
	for {
		if r.p.PersonalDeleted {
			// Nothing is left to guard; the request stays readable in its
			// read model, without personal data.
			return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
		}
		longRun := r.in.ContinueAsNewAfter > 0 && r.runEvents >= r.in.ContinueAsNewAfter
		if (longRun || workflow.GetInfo(ctx).GetContinueAsNewSuggested()) && !r.acting && workflow.AllHandlersFinished(ctx) {
			in := r.in
			progress := r.p
			in.Resume = &progress
			return workflow.NewContinueAsNewError(ctx, InformationRequest, in)
		}
		seen := r.version
		changed := func() bool { return r.version != seen }
		next := r.pending()
		if len(next) == 0 {
			if err := workflow.Await(ctx, changed); err != nil {
				return err
			}
			continue
		}
		wait := next[0].at.Sub(workflow.Now(ctx))
		if wait > 0 {
			moved, err := workflow.AwaitWithTimeout(ctx, wait, changed)
			if err != nil {
				return err
			}
			if moved {
				continue
			}
		}
		// An action may have begun while the timer ran: let it finish, then
		// look again, since it may make this deadline moot.
		if err := workflow.Await(ctx, func() bool { return !r.acting }); err != nil {
			return err
		}
		if changed() {
			continue
		}
		if err := r.fire(ctx, next[0]); err != nil {
			if !handlesRecordingFailures(ctx) {
				return err
			}
			if err := r.deadlineNotRecorded(ctx, next[0], err, changed); err != nil {
				return err
			}
		}
	}
}

// recordSending records the sending, trying again after recordRetryPause
// while the database is out of reach. Refused for good, the send update
// fails with the reason and the run ends: the request never was sent.
func (r *request) recordSending(ctx workflow.Context) error {
	for {
		err := r.record(ctx, "sent", r.in.SentBy, r.p)
		if err == nil {
			return nil
		}
		if !handlesRecordingFailures(ctx) {
			return err
		}
		log := workflow.GetLogger(ctx)
		if permanent(err) {
			log.Error("the sending could not be recorded; the request is not sent", "error", err)
			r.sendErr = notRecorded("the sending", err)
			if awaitErr := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); awaitErr != nil {
				return awaitErr
			}
			return err
		}
		log.Warn("the sending is not recorded yet; trying again later", "retry_in", recordRetryPause.String(), "error", err)
		if err := workflow.Sleep(ctx, recordRetryPause); err != nil {
			return err
		}
	}
}

// deadlineNotRecorded keeps the deadline loop going when a deadline could
// not be recorded. Refused for good (its record cannot be written, however
// often tried), the deadline is marked fired and listed as missed, and the
// loop goes on to the next. Out of reach, it is tried again after
// recordRetryPause, or sooner when an action changes what is pending;
// meanwhile actions are taken as usual.
func (r *request) deadlineNotRecorded(ctx workflow.Context, d deadline, err error, changed func() bool) error {
	log := workflow.GetLogger(ctx)
	if permanent(err) {
		log.Error("deadline could not be recorded; it is skipped", "deadline", d.key, "error", err)
		r.p.Fired = append(slices.Clone(r.p.Fired), d.key)
		r.p.Missed = append(slices.Clone(r.p.Missed), d.key)
		return nil
	}
	log.Warn("deadline not recorded yet; trying again later", "deadline", d.key, "retry_in", recordRetryPause.String(), "error", err)
	_, err = workflow.AwaitWithTimeout(ctx, recordRetryPause, changed)
	return err
}

// fire acts on a deadline: records it, and changes the progress it marks.
func (r *request) fire(ctx workflow.Context, d deadline) error {
	r.firing = true
	defer func() { r.firing = false }()
	next := r.p
	next.Fired = append(slices.Clone(r.p.Fired), d.key)
	now := workflow.Now(ctx)
	switch d.kind {
	case activities.ReplyOverdue:
		next.Overdue = true
	case activities.AcceptanceEscalation, activities.ReplyEscalation, activities.ReplyEscalationBoth:
		next.EscalatedAt = now
	case activities.PersonalDataBlocked:
		next.PersonalBlocked = true
	case activities.PersonalDataDeleted:
		next.PersonalBlocked, next.PersonalDeleted = true, true
	}
	next.Events++
	ev := activities.RequestEvent{
		RequestID: r.in.RequestID,
		Key:       r.in.RequestID.String() + "/" + d.key,
		Kind:      string(d.kind),
		At:        now,
		Days:      d.days,
		After:     r.snapshot(next),
	}
	if err := recordEvent(backgroundContext(ctx), ev); err != nil {
		return fmt.Errorf("record %s: %w", d.kind, err)
	}
	r.p = next
	r.version++
	r.runEvents++
	return nil
}

// record writes an event that is neither an action nor a deadline.
func (r *request) record(ctx workflow.Context, kind string, actor uuid.UUID, p RequestProgress) error {
	p.Events++
	ev := activities.RequestEvent{
		RequestID: r.in.RequestID,
		Key:       r.in.RequestID.String() + "/" + kind,
		Kind:      kind,
		At:        workflow.Now(ctx),
		ActorUser: actor,
		// Only the requesting side sends.
		ActorAuthority: r.in.RequestingAuthority,
		After:          r.snapshot(p),
	}
	if err := recordEvent(backgroundContext(ctx), ev); err != nil {
		return fmt.Errorf("record %s: %w", kind, err)
	}
	r.p = p
	r.runEvents++
	return nil
}

// recordEvent writes an event to the read model and returns once it is
// there, by an ordinary activity. A local activity would save a round
// through the server per action, but its input is not in the history
// before it runs: when a workflow task failed after the transaction (as
// it did under concurrent conflicting updates), the task ran again and
// another update could win, leaving the read model with an action the
// workflow never took. An activity is scheduled in the history first, so
// a failed task leaves nothing behind. ctx carries the activity options:
// actionContext's or backgroundContext's.
func recordEvent(ctx workflow.Context, ev activities.RequestEvent) error {
	var a *activities.Activities
	return workflow.ExecuteActivity(ctx, a.RecordRequestEvent, ev).Get(ctx, nil)
}
