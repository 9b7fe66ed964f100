package cases

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/workflows"
)

// MaxAttachmentBytes bounds one file; an adapter reads at most one byte
// more, so that a larger file is recognised as such.
const MaxAttachmentBytes = 10 << 20

// maxFilenameLength bounds a file's name, in bytes.
const maxFilenameLength = 200

// allowedType says whether a file is of a kind officials exchange,
// recognised by its content rather than by what the caller claims.
func allowedType(contentType string) bool {
	switch contentType {
	case "application/pdf", "image/png", "image/jpeg", "text/plain; charset=utf-8":
		return true
	}
	return false
}

// AttachmentView is a file of a request, without its content.
type AttachmentView struct {
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

func attachmentViewOf(a models.Attachment) AttachmentView {
	return AttachmentView{ID: a.ID, Filename: a.Filename, ContentType: a.ContentType, SizeBytes: a.SizeBytes,
		SHA256: hex.EncodeToString(a.Sha256), Personal: a.Personal, Authority: a.AuthorityID, Deleted: a.DeletedAt != nil, CreatedAt: a.CreatedAt.UTC()}
}

// AttachmentList is the files of a request the caller may see.
type AttachmentList struct {
	Attachments []AttachmentView `json:"attachments"`
}

// AttachmentUpload adds a file to the request ID.
type AttachmentUpload struct {
	ID string `form:"id"`
	// Filename is the name the client gave the file (the multipart
	// field "file"'s).
	Filename string `form:"file"`
	// Personal is the form field "personal": "true" or "false".
	Personal string `form:"personal"`
	Content  []byte `form:"-"`
}

// tooLarge is the error of a file over its limit.
func tooLarge() *Error {
	return &Error{Kind: TooLarge, Code: "body_too_large", Message: "a file may be at most " + strconv.Itoa(MaxAttachmentBytes>>20) + " MiB"}
}

// AddAttachment stores an uploaded file on a request, with the timeline
// entry, in one transaction: by a request handler of either side while
// the request is open (or a draft), by the responding side once accepted.
func (s *Service) AddAttachment(ctx context.Context, caller Caller, in AttachmentUpload) (AttachmentView, error) {
	if err := s.validate.Check(in); err != nil {
		return AttachmentView{}, err
	}
	r, pt, err := s.loadRequest(ctx, caller, RequestRef{ID: in.ID})
	if err != nil {
		return AttachmentView{}, err
	}
	if !pt.Handler {
		return AttachmentView{}, ForbiddenError("the request's attachments")
	}
	if !workflows.RequestState(r.State).Open() && r.State != models.Draft || !attachmentsVisible(r, pt) {
		return AttachmentView{}, ConflictError("wrong_state", "the request is %s: files are added while it is open and, by the responding side, once accepted", r.State)
	}
	personal, err := strconv.ParseBool(in.Personal)
	if err != nil {
		return AttachmentView{}, InvalidFields(FieldError{Field: "personal", Rule: "true_or_false"})
	}
	switch {
	case len(in.Content) == 0:
		return AttachmentView{}, InvalidFields(FieldError{Field: "file", Rule: "not_empty"})
	case len(in.Content) > MaxAttachmentBytes:
		return AttachmentView{}, tooLarge()
	}
	contentType := http.DetectContentType(in.Content)
	if !allowedType(contentType) {
		return AttachmentView{}, &Error{Kind: Unsupported, Code: "unsupported_file_type",
			Message: "only PDF, PNG, JPEG and plain text files are accepted; this file is " + contentType}
	}
	// A client's directories are none of ours: keep the last element.
	name := path.Base(strings.ReplaceAll(in.Filename, "\\", "/"))
	if name == "." || name == "/" || name == ".." || len(name) > maxFilenameLength {
		return AttachmentView{}, InvalidFields(FieldError{Field: "file", Rule: "file_name"})
	}
	sum := sha256.Sum256(in.Content)
	a := &models.Attachment{RequestID: r.ID, UploadedBy: caller.UserID, AuthorityID: caller.Body.ID, Filename: name,
		ContentType: contentType, SizeBytes: len(in.Content), Sha256: sum[:], Personal: personal, Content: in.Content}
	if err := s.store.AddAttachment(ctx, a); err != nil {
		return AttachmentView{}, err
	}
	return attachmentViewOf(*a), nil
}

// Attachments lists the files of a request the caller may see: none to
// the responding side before it accepts, personal ones only with the
// personal data.
func (s *Service) Attachments(ctx context.Context, caller Caller, ref RequestRef) (AttachmentList, error) {
	if err := s.validate.Check(ref); err != nil {
		return AttachmentList{}, err
	}
	r, pt, err := s.loadRequest(ctx, caller, ref)
	if err != nil {
		return AttachmentList{}, err
	}
	out := []AttachmentView{}
	if attachmentsVisible(r, pt) {
		all, err := s.store.Attachments(ctx, r.ID)
		if err != nil {
			return AttachmentList{}, err
		}
		show := personalStatus(r, pt) == PersonalShown
		for _, a := range all {
			if !a.Personal || show {
				out = append(out, attachmentViewOf(a))
			}
		}
	}
	return AttachmentList{Attachments: out}, nil
}

// AttachmentRef names a file of a request.
type AttachmentRef struct {
	RequestRef
	AttachmentID string `form:"attachment_id"`
}

// AttachmentFile is a file to download.
type AttachmentFile struct {
	Filename    string
	ContentType string
	Content     []byte
}

// Attachment is a file's content; a personal one's download is logged as
// a read of personal data.
func (s *Service) Attachment(ctx context.Context, caller Caller, ref AttachmentRef) (AttachmentFile, error) {
	if err := s.checkEach(ref.RequestRef, struct {
		AttachmentID string `form:"attachment_id"`
	}{ref.AttachmentID}); err != nil {
		return AttachmentFile{}, err
	}
	r, pt, err := s.loadRequest(ctx, caller, ref.RequestRef)
	if err != nil {
		return AttachmentFile{}, err
	}
	id, err := parseID(ref.AttachmentID, "the attachment")
	if err != nil {
		return AttachmentFile{}, err
	}
	a, err := s.store.Attachment(ctx, r.ID, id)
	if err != nil {
		return AttachmentFile{}, storeError(err, "the attachment")
	}
	if !attachmentsVisible(r, pt) || (a.Personal && personalStatus(r, pt) != PersonalShown) || a.Content == nil {
		return AttachmentFile{}, NotFoundError("the attachment")
	}
	if a.Personal {
		if err := s.logRead(ctx, caller, r, pt, attachmentReadPrefix+a.Filename); err != nil {
			return AttachmentFile{}, err
		}
	}
	return AttachmentFile{Filename: a.Filename, ContentType: a.ContentType, Content: a.Content}, nil
}
