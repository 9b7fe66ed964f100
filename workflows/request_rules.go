package workflows

import "slices"

// rule says when an action may be taken and by whom.
type rule struct {
	states []RequestState
	// side is who acts; empty means either side.
	side      Side
	allocator bool
}

func ruleOf(a Action) (rule, bool) {
	open := []RequestState{AwaitingAcceptance, Accepted, Answered, ClarificationRequested, Referred}
	switch a {
	case ActAccept:
		return rule{states: []RequestState{AwaitingAcceptance}, side: Responding}, true
	case ActForward:
		return rule{states: []RequestState{AwaitingAcceptance, Accepted}, side: Responding}, true
	case ActAssign:
		return rule{states: []RequestState{AwaitingAcceptance, Accepted, ClarificationRequested}, side: Responding, allocator: true}, true
	case ActAnswer:
		return rule{states: []RequestState{Accepted}, side: Responding}, true
	case ActRequestClarification:
		return rule{states: []RequestState{Answered}, side: Requesting}, true
	case ActClarify:
		return rule{states: []RequestState{ClarificationRequested}, side: Responding}, true
	case ActClose:
		return rule{states: []RequestState{Answered}, side: Requesting}, true
	case ActWithdraw:
		return rule{states: []RequestState{AwaitingAcceptance, Accepted}, side: Requesting}, true
	case ActRefer:
		return rule{states: []RequestState{Answered}, side: Requesting}, true
	case ActMessage:
		return rule{states: open}, true
	case ActProposeDeadline:
		return rule{states: []RequestState{Accepted}, side: Responding}, true
	case ActAgreeDeadline:
		return rule{states: []RequestState{Accepted}, side: Requesting}, true
	}
	return rule{}, false
}

// AllowedActions lists what a caller on side, with the given roles in the
// request's area, may do in state; proposal says whether a deadline
// proposal from the other side awaits agreement.
func AllowedActions(state RequestState, side Side, handler, allocator, proposal bool) []Action {
	var out []Action
	for _, a := range Actions() {
		r, _ := ruleOf(a)
		if !slices.Contains(r.states, state) || (r.side != "" && r.side != side) {
			continue
		}
		if (r.allocator && !allocator) || (!r.allocator && !handler) {
			continue
		}
		if a == ActAgreeDeadline && !proposal {
			continue
		}
		out = append(out, a)
	}
	return out
}

// allowedIn lists the actions of any side in a state, for the message of a
// wrong-state refusal.
func allowedIn(state RequestState) []string {
	var out []string
	for _, a := range Actions() {
		if r, _ := ruleOf(a); slices.Contains(r.states, state) {
			out = append(out, string(a))
		}
	}
	return out
}
