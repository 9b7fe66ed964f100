package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/textproto"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/cases"
)

// maxAttachmentBytes bounds one file; the request body may be a little
// larger for the multipart framing.
const maxAttachmentBytes = cases.MaxAttachmentBytes

// addAttachment stores an uploaded file on a request.
func (h *handlers) addAttachment(c *gin.Context) {
	file, header, err := c.Request.FormFile("file")
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			abortWithError(c, http.StatusRequestEntityTooLarge, "body_too_large", "a file may be at most 10 MiB", nil)
			return
		}
		var malformed textproto.ProtocolError
		if errors.Is(err, http.ErrMissingFile) || errors.As(err, &malformed) {
			// A part whose headers cannot be read (a NUL or a line break
			// in its file name) is no file at all to the parser.
			h.fail(c, cases.InvalidFields(cases.FieldError{Field: "file", Rule: "present_with_a_readable_file_name"}))
			return
		}
		abortWithError(c, http.StatusBadRequest, "invalid_upload", "send the file as multipart/form-data in the field \"file\"", nil)
		return
	}
	defer file.Close()
	// One byte more than the limit tells a file over it from one at it.
	content, err := io.ReadAll(io.LimitReader(file, maxAttachmentBytes+1))
	if err != nil {
		abortWithError(c, http.StatusBadRequest, "invalid_upload", "the file could not be read", nil)
		return
	}
	v, err := h.cases.AddAttachment(c.Request.Context(), h.requestCaller(c), cases.AttachmentUpload{
		ID: c.Param("id"), Filename: header.Filename, Personal: c.Request.FormValue("personal"), Content: content,
	})
	h.render(c, http.StatusCreated, v, err)
}

// listAttachments lists the files the caller may see.
func (h *handlers) listAttachments(c *gin.Context) {
	v, err := h.cases.Attachments(c.Request.Context(), h.requestCaller(c), requestRef(c))
	h.render(c, http.StatusOK, v, err)
}

// downloadAttachment sends a file.
func (h *handlers) downloadAttachment(c *gin.Context) {
	f, err := h.cases.Attachment(c.Request.Context(), h.requestCaller(c),
		cases.AttachmentRef{RequestRef: requestRef(c), AttachmentID: c.Param("attachment_id")})
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename}))
	c.Header("X-Content-Type-Options", "nosniff")
	c.Data(http.StatusOK, f.ContentType, f.Content)
}
