package cases

import (
	"context"
	"errors"

	"github.com/openimi/openimi/models"
)

// SetLanguageInput is the language the caller reads pages and mails in.
type SetLanguageInput struct {
	Language string `json:"language" form:"language" binding:"required,len=2,lowercase"`
}

// SetLanguage saves the signed-in caller's own language: the pages and
// the mails that follow use it. Anybody signed in may change their own,
// and only their own.
func (s *Service) SetLanguage(ctx context.Context, c Caller, in SetLanguageInput) (AccountView, error) {
	if err := accountRequired(c); err != nil {
		return AccountView{}, err
	}
	if err := s.validate.Check(in); err != nil {
		return AccountView{}, err
	}
	if !s.hasLanguage(in.Language) {
		return AccountView{}, InvalidFields(FieldError{Field: "language", Rule: "known_language", Param: in.Language})
	}
	if err := s.store.SetUserLanguage(ctx, c.UserID, in.Language); err != nil {
		if errors.Is(err, models.ErrNotFound) {
			return AccountView{}, NotFoundError("the account")
		}
		return AccountView{}, err
	}
	me := AccountViewOf(c.Session)
	me.Language = in.Language
	return me, nil
}
