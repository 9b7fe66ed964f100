package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

type timelineEvent struct {
	Kind      string         `json:"kind"`
	At        time.Time      `json:"at"`
	Actor     *uuid.UUID     `json:"actor,omitempty"`
	Authority *uuid.UUID     `json:"authority,omitempty"`
	Text      *string        `json:"text,omitempty"`
	TextLang  string         `json:"text_lang,omitempty"`
	Redacted  bool           `json:"redacted,omitempty"`
	Details   map[string]any `json:"details,omitempty"`
}

// requestTimeline lists every event of a request: who, when, what.
func (h *handlers) requestTimeline(c *gin.Context) {
	r, pt, ok := h.loadRequest(c)
	if !ok {
		return
	}
	events, err := h.store.RequestTimeline(c.Request.Context(), r.ID)
	if err != nil {
		h.internalError(c, err)
		return
	}
	show := personalStatus(r, pt) == personalShown
	out := make([]timelineEvent, 0, len(events))
	shown := false
	for _, e := range events {
		ev := timelineEvent{Kind: e.Kind, At: e.At.UTC(), Actor: e.ActorUser, Authority: e.Authority, TextLang: e.TextLang, Details: e.Details}
		if e.Text != "" {
			if e.Personal && !show {
				ev.Redacted = true
			} else {
				text := e.Text
				ev.Text = &text
				shown = shown || e.Personal
			}
		}
		out = append(out, ev)
	}
	if shown {
		p := principal(c)
		if err := h.store.LogPersonalDataAccess(c.Request.Context(), models.AccessLogEntry{
			RequestID: r.ID, UserID: p.UserID, AuthorityID: &p.Body.ID, What: "GET timeline",
			Reason: accessReason(pt),
		}); err != nil {
			h.internalError(c, err)
			return
		}
	}
	c.JSON(http.StatusOK, gin.H{"reference": r.Reference, "events": out})
}

type accessLogView struct {
	User      uuid.UUID  `json:"user"`
	Authority *uuid.UUID `json:"authority,omitempty"`
	What      string     `json:"what"`
	Reason    string     `json:"reason"`
	At        time.Time  `json:"at"`
}

// accessLog shows who read the request's personal data, when and why.
func (h *handlers) accessLog(c *gin.Context) {
	r, _, ok := h.loadRequest(c)
	if !ok {
		return
	}
	entries, err := h.store.AccessLog(c.Request.Context(), r.ID)
	if err != nil {
		h.internalError(c, err)
		return
	}
	out := make([]accessLogView, 0, len(entries))
	for _, e := range entries {
		out = append(out, accessLogView{User: e.UserID, Authority: e.AuthorityID, What: e.What, Reason: e.Reason, At: e.At.UTC()})
	}
	c.JSON(http.StatusOK, gin.H{"reference": r.Reference, "entries": out})
}

type requestListQuery struct {
	Box       string `form:"box" binding:"required,oneof=incoming outgoing"`
	State     string `form:"state" binding:"omitempty,oneof=DRAFT AWAITING_ACCEPTANCE ACCEPTED ANSWERED CLARIFICATION_REQUESTED REFERRED CLOSED WITHDRAWN"`
	Area      string `form:"area" binding:"max=60"`
	Overdue   *bool  `form:"overdue"`
	Escalated *bool  `form:"escalated"`
	Page      *int   `form:"page" binding:"omitempty,min=1,max=10000"`
	PageSize  *int   `form:"page_size" binding:"omitempty,min=1,max=100"`
}

type requestSummary struct {
	ID                  uuid.UUID  `json:"id"`
	Reference           string     `json:"reference"`
	Area                string     `json:"area"`
	State               string     `json:"state"`
	Subject             string     `json:"subject"`
	RequestingAuthority uuid.UUID  `json:"requesting_authority"`
	RespondingAuthority uuid.UUID  `json:"responding_authority"`
	NeededBy            string     `json:"needed_by"`
	ReplyDueAt          *time.Time `json:"reply_due_at,omitempty"`
	Overdue             bool       `json:"overdue"`
	Escalated           bool       `json:"escalated"`
	UpdatedAt           time.Time  `json:"updated_at"`
}

// listRequests pages through the caller's authority's incoming or outgoing
// requests, from the read model.
func (h *handlers) listRequests(c *gin.Context) {
	var q requestListQuery
	if !h.bindQuery(c, &q) {
		return
	}
	p := principal(c)
	if p.Body == nil || p.Body.Status != models.AuthorityActive {
		deny(c, policy.Forbidden, "requests")
		return
	}
	page, size, ok := paging(c, q.Page, q.PageSize, defaultPageSize)
	if !ok {
		return
	}
	rows, total, err := h.store.ListRequests(c.Request.Context(), models.RequestFilter{
		Authority: p.Body.ID, Incoming: q.Box == "incoming", State: q.State, Area: q.Area,
		Overdue: q.Overdue, Escalated: q.Escalated, Page: page, PageSize: size,
	})
	if err != nil {
		h.internalError(c, err)
		return
	}
	items := make([]requestSummary, 0, len(rows))
	for _, r := range rows {
		items = append(items, requestSummary{
			ID: r.ID, Reference: r.Reference, Area: r.AreaCode, State: r.State, Subject: r.Subject,
			RequestingAuthority: r.RequestingAuthority, RespondingAuthority: r.RespondingAuthority,
			NeededBy: r.NeededBy.Format(dateLayout), ReplyDueAt: r.ReplyDue, Overdue: r.Overdue,
			Escalated: r.EscalatedAt != nil, UpdatedAt: r.UpdatedAt.UTC(),
		})
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "total": total, "page": page, "page_size": size})
}

// registerRequestRoutes wires the information requests.
func (h *handlers) registerRequestRoutes(g *gin.RouterGroup) {
	g.GET("/requests", h.listRequests)
	g.POST("/requests", h.createDraft)
	g.GET("/requests/:id", h.getRequest)
	g.PATCH("/requests/:id", h.updateDraft)
	g.DELETE("/requests/:id", h.deleteDraft)
	g.POST("/requests/:id/send", h.sendRequest)
	for _, a := range workflows.Actions() {
		g.POST("/requests/:id/"+string(a), h.requestAction(a))
	}
	g.GET("/requests/:id/timeline", h.requestTimeline)
	g.GET("/requests/:id/attachments", h.listAttachments)
	g.POST("/requests/:id/attachments", h.addAttachment)
	g.GET("/requests/:id/attachments/:attachment_id", h.downloadAttachment)
	g.GET("/requests/:id/access-log", h.accessLog)
	for _, iv := range interventionRoutes {
		g.POST("/requests/:id/coordination/"+iv.path, h.intervene(iv.action))
	}
	g.GET("/coordination/requests", h.coordinationDesk)
	g.GET("/stats", h.stats)
}
