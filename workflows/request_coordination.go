package workflows

import (
	"slices"
	"strings"

	"github.com/google/uuid"
	"go.temporal.io/sdk/workflow"
)

// Interventions are what coordinators do to a request that is stuck
// (SPEC §1, §3): each is an update of the request's workflow under its own
// name, so that it can never be mistaken for the official action it
// resembles, and each carries the coordinator's reason, recorded on the
// timeline.
const (
	// CoordForward forwards the request to another authority of the
	// responding country, as the responding authority itself could.
	CoordForward Action = "coordinator-forward"
	// CoordAccept accepts the request on the responding authority's
	// behalf, and may assign it to one of its handlers.
	CoordAccept Action = "coordinator-accept"
	// Chase reminds the responding authority, with the coordinator's note.
	Chase Action = "chase"
	// CoordNote is a note between the coordinators of the two countries
	// while they mediate a referred request.
	CoordNote Action = "coordinator-note"
	// Return gives a referred request back to one side: to ANSWERED (the
	// requester is to decide again) or to ACCEPTED (the responder is to
	// answer again).
	Return Action = "return"
	// CoordClose closes a referred request with the coordinators' reason.
	CoordClose Action = "coordinator-close"
)

// Interventions lists the coordinators' actions, in the order the API
// documents them.
func Interventions() []Action {
	return []Action{CoordForward, CoordAccept, Chase, CoordNote, Return, CoordClose}
}

// IsIntervention reports whether a is a coordinator's action.
func IsIntervention(a Action) bool { return slices.Contains(Interventions(), a) }

// intervention says when a coordinator may step in, and whose coordinator.
type intervention struct {
	states []RequestState
	// respondingOnly: only the responding country's coordinators, to whom
	// acceptance and reply are escalated; otherwise either country's.
	respondingOnly bool
}

func interventionOf(a Action) intervention {
	switch a {
	case CoordForward:
		return intervention{states: []RequestState{AwaitingAcceptance, Accepted}, respondingOnly: true}
	case CoordAccept:
		return intervention{states: []RequestState{AwaitingAcceptance}, respondingOnly: true}
	case Chase:
		return intervention{states: []RequestState{AwaitingAcceptance, Accepted, ClarificationRequested}, respondingOnly: true}
	default: // CoordNote, Return, CoordClose: mediation of a referral
		return intervention{states: []RequestState{Referred}}
	}
}

// AllowedInterventions lists what a coordinator of the requesting and/or
// responding side may do in state.
func AllowedInterventions(state RequestState, requestingSide, respondingSide bool) []Action {
	var out []Action
	for _, a := range Interventions() {
		iv := interventionOf(a)
		if !slices.Contains(iv.states, state) || (iv.respondingOnly && !respondingSide) || (!requestingSide && !respondingSide) {
			continue
		}
		out = append(out, a)
	}
	return out
}

// validateIntervention refuses an intervention that the state, the
// coordinator's scope or its payload do not allow. The API computes the
// scope flags from the directory; the workflow checks the country it knows,
// so that a flag set for the wrong request cannot act.
func (r *request) validateIntervention(a Action, cmd RequestCommand) error {
	iv := interventionOf(a)
	if !slices.Contains(iv.states, r.p.State) {
		var allowed []string
		for _, b := range Interventions() {
			if slices.Contains(interventionOf(b).states, r.p.State) {
				allowed = append(allowed, string(b))
			}
		}
		if len(allowed) == 0 {
			return refuse(ErrTypeWrongState, "the request is %s: no coordinator's intervention is possible", r.p.State)
		}
		return refuse(ErrTypeWrongState, "the request is %s: %s is not possible; possible now: %s", r.p.State, a, strings.Join(allowed, ", "))
	}
	if cmd.ExpectedResponding != uuid.Nil && cmd.ExpectedResponding != r.p.RespondingAuthority {
		return refuse(ErrTypeWrongState, "the request has moved to another authority since it was read: read it again")
	}
	c := cmd.Actor.Coordinator
	responding := c.Responding && c.Country == r.in.RespondingCountry
	requesting := c.Requesting && c.Country == r.in.RequestingCountry
	switch {
	case iv.respondingOnly && !responding:
		return refuse(ErrTypeNotAllowed, "%s is for a coordinator of the responding authority (%s)", a, r.in.RespondingCountry)
	case !responding && !requesting:
		return refuse(ErrTypeNotAllowed, "%s is for a coordinator of the requesting or responding authority", a)
	}
	if strings.TrimSpace(cmd.Text) == "" {
		return refuse(ErrTypeInvalidAction, "%s needs the coordinator's reason", a)
	}
	switch a {
	case CoordForward:
		if cmd.ForwardTo == uuid.Nil || cmd.ForwardTo == r.p.RespondingAuthority || cmd.ForwardTo == r.in.RequestingAuthority {
			return refuse(ErrTypeInvalidAction, "forward needs another authority to forward to")
		}
		if cmd.ForwardToCountry != r.in.RespondingCountry {
			return refuse(ErrTypeInvalidAction, "a request is forwarded only within the responding country (%s)", r.in.RespondingCountry)
		}
	case Return:
		if cmd.ReturnTo != Answered && cmd.ReturnTo != Accepted {
			return refuse(ErrTypeInvalidAction, "a referred request is returned to %s or %s", Answered, Accepted)
		}
	}
	return nil
}

// applyIntervention is the transition of an intervention.
func applyIntervention(ctx workflow.Context, a Action, cmd RequestCommand, next *RequestProgress) {
	now := workflow.Now(ctx)
	switch a {
	case CoordForward:
		next.State = AwaitingAcceptance
		next.RespondingAuthority = cmd.ForwardTo
		next.AcceptedBy = uuid.Nil
		next.AssignedHandler = uuid.Nil
		next.AcceptanceClockFrom = now
		next.ProposedDueDays, next.ProposedBy = 0, ""
	case CoordAccept:
		next.State = Accepted
		// The responding authority, not the coordinator, has accepted: it
		// alone on that side now reads the personal data.
		next.AcceptedBy = next.RespondingAuthority
		next.ReplyDueSetAt = now
		if cmd.Handler != uuid.Nil {
			next.AssignedHandler = cmd.Handler
		}
	case Return:
		next.State = cmd.ReturnTo
		if cmd.ReturnTo == Accepted {
			// The reply's reminders count again from now; those whose
			// moment has passed would arrive stale.
			next.ReplyDueSetAt = now
		}
	case CoordClose:
		next.State, next.ClosedAt = Closed, now
	}
}
