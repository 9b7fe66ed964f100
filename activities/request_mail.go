package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"

	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/models"
)

// requestParties is what a request's mails are addressed from and to.
type requestParties struct {
	req        models.Request
	requesting models.Authority
	responding models.Authority
}

func (a *Activities) partiesOf(ctx context.Context, ev RequestEvent) (requestParties, error) {
	req, err := a.Store.Request(ctx, ev.RequestID)
	if err != nil {
		return requestParties{}, err
	}
	respondingID := ev.After.RespondingAuthority
	if respondingID == uuid.Nil {
		respondingID = req.RespondingAuthority
	}
	authorities, err := a.Store.Authorities(ctx, req.RequestingAuthority, respondingID)
	if err != nil {
		return requestParties{}, err
	}
	requesting, ok := authorities[req.RequestingAuthority]
	if !ok {
		return requestParties{}, fmt.Errorf("requesting authority %s: %w", req.RequestingAuthority, models.ErrNotFound)
	}
	responding, ok := authorities[respondingID]
	if !ok {
		return requestParties{}, fmt.Errorf("responding authority %s: %w", respondingID, models.ErrNotFound)
	}
	return requestParties{req: req, requesting: requesting, responding: responding}, nil
}

// respondingOfficials are those who must act for the responding side: the
// assigned handler when there is one, else its handlers and allocators of
// the area, and its functional mailbox when a request arrives.
func (a *Activities) respondingOfficials(ctx context.Context, p requestParties, ev RequestEvent, withMailbox bool) ([]mail.Recipient, error) {
	var to []mail.Recipient
	if h := ev.After.AssignedHandler; h != uuid.Nil && !withMailbox {
		var u models.User
		if err := a.Store.DB().WithContext(ctx).Take(&u, "id = ? AND status = ?", h, models.UserActive).Error; err == nil {
			return []mail.Recipient{mail.To(u)}, nil
		}
	}
	users, err := a.Store.AreaOfficials(ctx, p.responding.ID, p.req.AreaCode, models.RequestHandler, models.Allocator)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		to = append(to, mail.To(u))
	}
	if withMailbox {
		to = append(to, mail.Recipient{Address: p.responding.FunctionalMailbox, Language: firstLanguage(users), AuthorityID: &p.responding.ID})
	}
	return to, nil
}

// requestingOfficial is the official who sent the request, or, when they
// are no longer active, the requesting authority's handlers of the area.
func (a *Activities) requestingOfficials(ctx context.Context, p requestParties) ([]mail.Recipient, error) {
	users, err := a.Store.AreaOfficials(ctx, p.requesting.ID, p.req.AreaCode, models.RequestHandler)
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.ID == p.req.CreatedBy {
			return []mail.Recipient{mail.To(u)}, nil
		}
	}
	to := make([]mail.Recipient, 0, len(users))
	for _, u := range users {
		to = append(to, mail.To(u))
	}
	return to, nil
}

func (a *Activities) coordinatorsOf(ctx context.Context, authority models.Authority, area string) ([]mail.Recipient, error) {
	users, err := a.Store.CoordinatorRecipients(ctx, authority.CountryCode, authority.Region, []string{area}, false)
	if err != nil {
		return nil, err
	}
	return recipients(users), nil
}

// bothCoordinators are the coordinators of the responding and of the
// requesting authority, who mediate a referred request together.
func (a *Activities) bothCoordinators(ctx context.Context, p requestParties) ([]mail.Recipient, error) {
	to, err := a.coordinatorsOf(ctx, p.responding, p.req.AreaCode)
	if err != nil {
		return nil, err
	}
	more, err := a.coordinatorsOf(ctx, p.requesting, p.req.AreaCode)
	return append(to, more...), err
}

// distinct keeps the first of recipients sharing an address: a coordinator
// of both scopes, or an official who is also the functional mailbox, gets
// one mail.
func distinct(to []mail.Recipient) []mail.Recipient {
	seen := map[string]bool{}
	return slices.DeleteFunc(to, func(r mail.Recipient) bool {
		key := strings.ToLower(r.Address)
		if seen[key] {
			return true
		}
		seen[key] = true
		return false
	})
}

func firstLanguage(users []models.User) string {
	if len(users) > 0 {
		return users[0].PreferredLanguage
	}
	return "en"
}

// requestMails are the mails an event of a request causes: to whoever must
// act next, in their language, with no personal data.
func (a *Activities) requestMails(ctx context.Context, ev RequestEvent) ([]models.OutboxMail, error) {
	p, err := a.partiesOf(ctx, ev)
	if err != nil {
		return nil, err
	}
	data := mail.Data{
		Reference:           p.req.Reference,
		RequestingAuthority: p.requesting.OfficialName,
		RespondingAuthority: p.responding.OfficialName,
		Deadline:            ev.After.ReplyDue,
		Path:                "/requests/" + p.req.ID.String(),
	}
	var kind mail.Kind
	var to []mail.Recipient
	switch ev.Kind {
	case "sent", "forward", "coordinator-forward":
		kind = mail.RequestReceived
		if ev.Kind != "sent" {
			kind = mail.RequestForwarded
		}
		to, err = a.respondingOfficials(ctx, p, ev, true)
	case string(AcceptanceReminder):
		kind = mail.AcceptanceReminder
		to, err = a.respondingOfficials(ctx, p, ev, false)
	case string(ReplyReminder):
		kind = mail.ReplyReminder
		to, err = a.respondingOfficials(ctx, p, ev, false)
	case "request-clarification":
		kind = mail.ClarificationRequested
		to, err = a.respondingOfficials(ctx, p, ev, false)
	case "close", "withdraw":
		kind = map[string]mail.Kind{"close": mail.RequestClosed, "withdraw": mail.RequestWithdrawn}[ev.Kind]
		to, err = a.respondingOfficials(ctx, p, ev, false)
	case "chase":
		kind = mail.RequestChased
		to, err = a.respondingOfficials(ctx, p, ev, false)
	case "coordinator-note":
		kind = mail.CoordinatorNote
		to, err = a.bothCoordinators(ctx, p)
	case "return":
		kind = mail.RequestReturned
		if ev.Command.ReturnTo == "ACCEPTED" {
			to, err = a.respondingOfficials(ctx, p, ev, false)
		} else {
			to, err = a.requestingOfficials(ctx, p)
		}
	case "coordinator-close":
		// Closed by the coordinators, not by the requester: both sides learn it.
		kind = mail.RequestClosed
		to, err = a.respondingOfficials(ctx, p, ev, false)
		if err == nil {
			var more []mail.Recipient
			more, err = a.requestingOfficials(ctx, p)
			to = append(to, more...)
		}
	case "accept", "coordinator-accept":
		kind = mail.RequestAccepted
		if !ev.After.ProposedDue.IsZero() {
			kind = mail.DeadlineProposed
			data.Deadline = ev.After.ProposedDue
		}
		to, err = a.requestingOfficials(ctx, p)
		if err == nil && ev.Kind == "coordinator-accept" {
			// Accepted on its behalf, the responding side must now answer:
			// its assigned handler, or its handlers, hear of it too.
			var responders []mail.Recipient
			responders, err = a.respondingOfficials(ctx, p, ev, false)
			to = append(to, responders...)
		}
	case "propose-deadline":
		kind = mail.DeadlineProposed
		data.Deadline = ev.After.ProposedDue
		to, err = a.requestingOfficials(ctx, p)
	case "answer", "clarify":
		kind = map[string]mail.Kind{"answer": mail.RequestAnswered, "clarify": mail.ClarificationGiven}[ev.Kind]
		to, err = a.requestingOfficials(ctx, p)
	case string(AcceptanceEscalation):
		kind = mail.RequestEscalated
		to, err = a.coordinatorsOf(ctx, p.responding, p.req.AreaCode)
	case string(ReplyEscalation):
		kind = mail.ReplyOverdueEscalation
		to, err = a.coordinatorsOf(ctx, p.responding, p.req.AreaCode)
	case string(ReplyEscalationBoth), "refer":
		kind = mail.ReplyOverdueEscalation
		if ev.Kind == "refer" {
			kind = mail.RequestReferred
		}
		to, err = a.bothCoordinators(ctx, p)
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("recipients of %s: %w", ev.Key, err)
	}
	to = distinct(to)
	if len(to) == 0 {
		return nil, nil
	}
	mails, err := mail.Notification{Kind: kind, EventKey: ev.Key, Data: data}.Outbox(to...)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), ErrTypeInvalidNotification, err)
	}
	return mails, nil
}
