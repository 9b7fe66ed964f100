package api

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

type notificationsQuery struct {
	Status   string `form:"status" binding:"required,oneof=failed"`
	Page     *int   `form:"page" binding:"omitempty,min=1,max=10000"`
	PageSize *int   `form:"page_size" binding:"omitempty,min=1,max=200"`
}

type notificationView struct {
	ID        int64     `json:"id"`
	Recipient string    `json:"recipient"`
	Template  string    `json:"template"`
	EventKey  string    `json:"event_key"`
	Attempts  int       `json:"attempts"`
	LastError string    `json:"last_error"`
	FailedAt  time.Time `json:"failed_at"`
}

// failedNotifications shows a local data administrator the mails to its
// authority's officials that could not be delivered, so that a wrong
// address is noticed and mended rather than silently missed.
func (h *handlers) failedNotifications(c *gin.Context) {
	var q notificationsQuery
	if !h.bindQuery(c, &q) {
		return
	}
	p := principal(c)
	if p.Body == nil {
		deny(c, policy.Forbidden, "notifications")
		return
	}
	if d := policy.ManageUsers(p, p.Body.ID); d != policy.Allow {
		deny(c, d, "the notifications of this authority")
		return
	}
	page, size, ok := paging(c, q.Page, q.PageSize, 50)
	if !ok {
		return
	}
	mails, total, err := h.store.FailedMail(c.Request.Context(), p.Body.ID, models.MailPage{Limit: size, Offset: (page - 1) * size})
	if err != nil {
		h.internalError(c, err)
		return
	}
	items := make([]notificationView, 0, len(mails))
	for _, m := range mails {
		items = append(items, notificationView{ID: m.ID, Recipient: m.Recipient, Template: m.Template, EventKey: m.EventKey,
			Attempts: m.Attempts, LastError: m.LastError, FailedAt: m.UpdatedAt.UTC()})
	}
	c.JSON(http.StatusOK, gin.H{"items": items, "total": total, "page": page, "page_size": size})
}
