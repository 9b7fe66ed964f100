package api

import (
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/internal/catalog"
	"github.com/openimi/openimi/internal/policy"
	"github.com/openimi/openimi/models"
)

// localized is a text in the language the caller reads, or in English, or
// as first written; it says which.
type localized struct {
	Text     string `json:"text"`
	Lang     string `json:"lang"`
	Fallback bool   `json:"fallback"`
}

func localize(t models.Translations, lang string) *localized {
	if len(t) == 0 {
		return nil
	}
	if v, ok := t[lang]; ok {
		return &localized{Text: v, Lang: lang}
	}
	if v, ok := t["en"]; ok {
		return &localized{Text: v, Lang: "en", Fallback: true}
	}
	first := sortedMapKeys(t)[0]
	return &localized{Text: t[first], Lang: first, Fallback: true}
}

// language is the language the caller reads: ?lang=, else the
// Accept-Language header, else the signed-in official's own, else English.
func (h *handlers) language(c *gin.Context) string {
	explicit, header := c.Query("lang"), c.GetHeader("Accept-Language")
	if explicit == "" && header == "" {
		if v, ok := c.Get(principalKey); ok {
			if p, ok := v.(policy.Principal); ok && h.ref.HasLanguage(p.Language) {
				return p.Language
			}
		}
	}
	lang, err := h.ref.cat.Negotiate(explicit, header)
	if err != nil {
		return catalog.English
	}
	return lang
}

type areaView struct {
	Area        string   `json:"area"`
	Competences []string `json:"competences"`
}

type authorityView struct {
	ID                uuid.UUID              `json:"id"`
	Kind              models.AuthorityKind   `json:"kind"`
	OfficialName      string                 `json:"official_name"`
	OfficialNameLang  string                 `json:"official_name_lang"`
	Designation       *localized             `json:"designation,omitempty"`
	Description       *localized             `json:"description,omitempty"`
	Country           string                 `json:"country"`
	Region            string                 `json:"region,omitempty"`
	Level             models.Level           `json:"level"`
	ScopeArea         string                 `json:"scope_area,omitempty"`
	Address           addressInput           `json:"address"`
	FunctionalMailbox string                 `json:"functional_mailbox"`
	Phone             string                 `json:"phone,omitempty"`
	Status            models.AuthorityStatus `json:"status"`
	Areas             []areaView             `json:"areas"`
}

func authorityViewOf(a models.Authority, lang string) authorityView {
	if lang == "" {
		lang = "en"
	}
	v := authorityView{
		ID: a.ID, Kind: a.Kind, OfficialName: a.OfficialName, OfficialNameLang: a.OfficialNameLang,
		Designation: localize(a.Designation, lang), Description: localize(a.Description, lang),
		Country: a.CountryCode, Region: a.Region, Level: a.Level, ScopeArea: a.ScopeArea,
		Address:           addressInput{Street: a.Street, PostalCode: a.PostalCode, City: a.City},
		FunctionalMailbox: a.FunctionalMailbox, Phone: a.Phone, Status: a.Status, Areas: []areaView{},
	}
	for _, area := range a.Areas {
		comps := []string(area.Competences)
		if comps == nil {
			comps = []string{}
		}
		v.Areas = append(v.Areas, areaView{Area: area.AreaCode, Competences: comps})
	}
	return v
}

type userView struct {
	ID          uuid.UUID         `json:"id"`
	Email       string            `json:"email"`
	DisplayName string            `json:"display_name"`
	Language    string            `json:"language"`
	Status      models.UserStatus `json:"status"`
	Roles       []cases.RoleView  `json:"roles"`
}

func userViewOf(u models.User, roles []models.UserRole) userView {
	v := userView{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Language: u.PreferredLanguage, Status: u.Status, Roles: []cases.RoleView{}}
	for _, r := range roles {
		v.Roles = append(v.Roles, cases.RoleView{Role: r.Role, Area: r.AreaCode})
	}
	return v
}

type eventView struct {
	Kind  string     `json:"kind"`
	Actor *uuid.UUID `json:"actor,omitempty"`
	Note  string     `json:"note,omitempty"`
	At    time.Time  `json:"at"`
}

type registrationView struct {
	ID          uuid.UUID                 `json:"id"`
	Status      models.RegistrationStatus `json:"status"`
	Reason      string                    `json:"reason,omitempty"`
	SubmittedAt time.Time                 `json:"submitted_at"`
	DecidedAt   *time.Time                `json:"decided_at,omitempty"`
	RemindedAt  *time.Time                `json:"reminded_at,omitempty"`
	EscalatedAt *time.Time                `json:"escalated_at,omitempty"`
	Authority   authorityView             `json:"authority"`
	Timeline    []eventView               `json:"timeline,omitempty"`
}

func registrationViewOf(r models.Registration, a models.Authority, events []models.RegistrationEvent) registrationView {
	v := registrationView{
		ID: r.ID, Status: r.Status, Reason: r.Reason, SubmittedAt: r.CreatedAt.UTC(),
		DecidedAt: r.DecidedAt, RemindedAt: r.RemindedAt, EscalatedAt: r.EscalatedAt,
		Authority: authorityViewOf(a, "en"),
	}
	for _, e := range events {
		v.Timeline = append(v.Timeline, eventView{Kind: e.Kind, Actor: e.ActorUserID, Note: e.Note, At: e.At.UTC()})
	}
	return v
}
