package web

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"

	"github.com/openimi/openimi/cases"
)

// Attachments: the upload form on the request page and the download of a
// file, over the same use cases as the API (which recognise a file's type
// by its content and log a personal file's download).

// maxFormBytes bounds a posted form that carries no file.
const maxFormBytes = 1 << 20

// maxUploadBytes bounds a posted form with a file: the file's limit, one
// byte to recognise a larger file, and the multipart framing.
const maxUploadBytes = cases.MaxAttachmentBytes + 1 + 64<<10

func (h *Handler) uploadAttachment(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id := r.PathValue("id")
	in := cases.AttachmentUpload{ID: id, Personal: r.FormValue("personal")}
	if in.Personal == "" {
		in.Personal = "false"
	}
	file, header, err := r.FormFile("file")
	switch {
	case errors.Is(err, http.ErrMissingFile):
		err = cases.InvalidFields(cases.FieldError{Field: "file", Rule: "required"})
	case err != nil:
		err = &cases.Error{Kind: cases.Malformed, Code: "invalid_body", Message: "the form could not be read", Err: err}
	default:
		defer file.Close()
		in.Filename = header.Filename
		in.Content, err = io.ReadAll(io.LimitReader(file, cases.MaxAttachmentBytes+1))
		if err == nil {
			_, err = h.cases.AddAttachment(r.Context(), c, in)
		}
	}
	if err == nil {
		http.Redirect(w, r, "/requests/"+url.PathEscape(id)+"?done=attachment", http.StatusSeeOther)
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "request.title")
	status, ok := h.useCaseError(p, err)
	if !ok || status == http.StatusNotFound {
		h.fail(w, r, err)
		return
	}
	h.showRequest(w, r, c, p, cases.RequestRef{ID: id}, status, "")
}

func (h *Handler) downloadAttachment(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	f, err := h.cases.Attachment(r.Context(), c, cases.AttachmentRef{
		RequestRef: cases.RequestRef{ID: r.PathValue("id"), Reason: r.URL.Query().Get("reason")}, AttachmentID: r.PathValue("attachment_id"),
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": f.Filename}))
	w.Header().Set("Content-Length", fmt.Sprint(len(f.Content)))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(f.Content)
}
