package cases

import (
	"net/url"

	"gorm.io/gorm"

	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/models"
)

// The mails the account and directory use cases cause, enqueued in the
// same transaction as what causes them: a link exists if and only if its
// mail is on its way. The closures read the records when the transaction
// runs, after their ids are known.

func enqueueAccountMail(tx *gorm.DB, n mail.Notification, to ...mail.Recipient) error {
	mails, err := n.Outbox(to...)
	if err != nil {
		return err
	}
	return models.EnqueueMail(tx, mails...)
}

func linkWithToken(path, param, token string) string {
	return path + "?" + url.Values{param: {token}}.Encode()
}

func passwordResetMail(link models.OneTimeToken, token string) mail.Notification {
	return mail.Notification{
		Kind:     mail.PasswordReset,
		EventKey: "password-reset/" + link.ID.String(),
		Data:     mail.Data{Path: linkWithToken("/reset-password", "token", token)},
	}
}

func mailActivation(user *models.User, authorityName string, link *models.OneTimeToken, token string) models.Also {
	return func(tx *gorm.DB) error {
		return enqueueAccountMail(tx, mail.Notification{
			Kind:     mail.AccountActivation,
			EventKey: "activation/" + link.ID.String(),
			Data: mail.Data{
				Authority: authorityName, ExpiresOn: link.ExpiresAt,
				Path: linkWithToken("/activate", "token", token),
			},
		}, mail.To(*user))
	}
}

func mailInvitation(inv *models.Invitation, invitingBody, token string) models.Also {
	return func(tx *gorm.DB) error {
		return enqueueAccountMail(tx, mail.Notification{
			Kind:     mail.Invitation,
			EventKey: "invitation/" + inv.ID.String(),
			Data: mail.Data{
				Authority: invitingBody, ExpiresOn: inv.ExpiresAt,
				Path: linkWithToken("/register", "invitation", token),
			},
		}, mail.Recipient{Address: inv.Email, Language: inv.Language})
	}
}
