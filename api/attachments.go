package api

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

// maxAttachmentBytes bounds one file; the request body may be a little
// larger for the multipart framing.
const maxAttachmentBytes = 10 << 20

// allowedType says whether a file is of a kind officials exchange,
// recognised by its content rather than by what the caller claims.
func allowedType(contentType string) bool {
	switch contentType {
	case "application/pdf", "image/png", "image/jpeg", "text/plain; charset=utf-8":
		return true
	}
	return false
}

type attachmentView struct {
	ID          uuid.UUID `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	SizeBytes   int       `json:"size_bytes"`
	SHA256      string    `json:"sha256"`
	Personal    bool      `json:"personal"`
	Authority   uuid.UUID `json:"authority"`
	Deleted     bool      `json:"deleted,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// attachmentsVisible says whether the caller may see the request's files:
// the responding side sees none before it accepts (SPEC §4), and personal
// files follow the personal data's blocking.
func attachmentsVisible(r models.Request, pt party) bool {
	return pt.side != workflows.Responding || (r.AcceptedBy != nil && *r.AcceptedBy == pt.authority)
}

// addAttachment stores an uploaded file on a request, with the timeline
// entry, in one transaction.
func (h *handlers) addAttachment(c *gin.Context) {
	r, pt, ok := h.loadRequest(c)
	if !ok {
		return
	}
	if !pt.handler {
		deny(c, policy.Forbidden, "the request's attachments")
		return
	}
	if !workflows.RequestState(r.State).Open() && r.State != models.Draft || !attachmentsVisible(r, pt) {
		abortWithError(c, http.StatusConflict, "wrong_state", "the request is "+r.State+": files are added while it is open and, by the responding side, once accepted", nil)
		return
	}
	file, header, err := c.Request.FormFile("file")
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			abortWithError(c, http.StatusRequestEntityTooLarge, "body_too_large", "a file may be at most "+strconv.Itoa(maxAttachmentBytes>>20)+" MiB", nil)
			return
		}
		abortWithError(c, http.StatusBadRequest, "invalid_upload", "send the file as multipart/form-data in the field \"file\"", nil)
		return
	}
	defer file.Close()
	personal, err := strconv.ParseBool(c.Request.FormValue("personal"))
	if err != nil {
		fieldErrors(c, []FieldError{{Field: "personal", Rule: "true_or_false"}})
		return
	}
	content, err := io.ReadAll(io.LimitReader(file, maxAttachmentBytes+1))
	if err != nil {
		abortWithError(c, http.StatusBadRequest, "invalid_upload", "the file could not be read", nil)
		return
	}
	switch {
	case len(content) == 0:
		fieldErrors(c, []FieldError{{Field: "file", Rule: "not_empty"}})
		return
	case len(content) > maxAttachmentBytes:
		abortWithError(c, http.StatusRequestEntityTooLarge, "body_too_large", "a file may be at most "+strconv.Itoa(maxAttachmentBytes>>20)+" MiB", nil)
		return
	}
	contentType := http.DetectContentType(content)
	if !allowedType(contentType) {
		abortWithError(c, http.StatusUnsupportedMediaType, "unsupported_file_type",
			"only PDF, PNG, JPEG and plain text files are accepted; this file is "+contentType, nil)
		return
	}
	name := filepath.Base(strings.ReplaceAll(header.Filename, "\\", "/"))
	if name == "." || name == "/" || len(name) > 200 {
		fieldErrors(c, []FieldError{{Field: "file", Rule: "file_name"}})
		return
	}
	sum := sha256.Sum256(content)
	p := principal(c)
	a := &models.Attachment{RequestID: r.ID, UploadedBy: p.UserID, AuthorityID: p.Body.ID, Filename: name,
		ContentType: contentType, SizeBytes: len(content), Sha256: sum[:], Personal: personal, Content: content}
	if err := h.store.AddAttachment(c.Request.Context(), a); err != nil {
		h.internalError(c, err)
		return
	}
	c.JSON(http.StatusCreated, attachmentViewOf(*a))
}

func attachmentViewOf(a models.Attachment) attachmentView {
	return attachmentView{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, SizeBytes: a.SizeBytes,
		SHA256: hexString(a.Sha256), Personal: a.Personal, Authority: a.AuthorityID, Deleted: a.DeletedAt != nil, CreatedAt: a.CreatedAt.UTC()}
}

// listAttachments lists the files the caller may see.
func (h *handlers) listAttachments(c *gin.Context) {
	r, pt, ok := h.loadRequest(c)
	if !ok {
		return
	}
	out := []attachmentView{}
	if attachmentsVisible(r, pt) {
		all, err := h.store.Attachments(c.Request.Context(), r.ID)
		if err != nil {
			h.internalError(c, err)
			return
		}
		show := personalStatus(r, pt) == personalShown
		for _, a := range all {
			if !a.Personal || show {
				out = append(out, attachmentViewOf(a))
			}
		}
	}
	c.JSON(http.StatusOK, gin.H{"attachments": out})
}

// downloadAttachment sends a file; a personal one is logged as a read of
// personal data.
func (h *handlers) downloadAttachment(c *gin.Context) {
	r, pt, ok := h.loadRequest(c)
	if !ok {
		return
	}
	id, ok := pathID(c, "attachment_id", "the attachment")
	if !ok {
		return
	}
	a, err := h.store.Attachment(c.Request.Context(), r.ID, id)
	if err != nil {
		h.storeError(c, err, "the attachment")
		return
	}
	if !attachmentsVisible(r, pt) || (a.Personal && personalStatus(r, pt) != personalShown) || a.Content == nil {
		deny(c, policy.NotFound, "the attachment")
		return
	}
	if a.Personal {
		p := principal(c)
		if err := h.store.LogPersonalDataAccess(c.Request.Context(), models.AccessLogEntry{
			RequestID: r.ID, UserID: p.UserID, AuthorityID: &p.Body.ID, What: "attachment " + a.Filename,
			Reason: accessReason(pt),
		}); err != nil {
			h.internalError(c, err)
			return
		}
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": a.Filename}))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, a.ContentType, a.Content)
}

func hexString(b []byte) string { return hex.EncodeToString(b) }
