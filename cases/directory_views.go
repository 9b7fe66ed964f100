package cases

import (
	"sort"
	"time"

	"github.com/google/uuid"

	"github.com/openimi/openimi/models"
)

// LocalizedText is a text in the language the caller reads, or in English,
// or as first written; it says which.
type LocalizedText struct {
	Text     string `json:"text"`
	Lang     string `json:"lang"`
	Fallback bool   `json:"fallback"`
}

func localizeText(t models.Translations, lang string) *LocalizedText {
	if len(t) == 0 {
		return nil
	}
	if v, ok := t[lang]; ok {
		return &LocalizedText{Text: v, Lang: lang}
	}
	if v, ok := t["en"]; ok {
		return &LocalizedText{Text: v, Lang: "en", Fallback: true}
	}
	first := sortedKeys(t)[0]
	return &LocalizedText{Text: t[first], Lang: first, Fallback: true}
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AreaView is an area an authority works in, with its competences.
type AreaView struct {
	Area        string   `json:"area"`
	Competences []string `json:"competences"`
}

// AuthorityView is an authority of the directory, in the reader's
// language.
type AuthorityView struct {
	ID                uuid.UUID              `json:"id"`
	Kind              models.AuthorityKind   `json:"kind"`
	OfficialName      string                 `json:"official_name"`
	OfficialNameLang  string                 `json:"official_name_lang"`
	Designation       *LocalizedText         `json:"designation,omitempty"`
	Description       *LocalizedText         `json:"description,omitempty"`
	Country           string                 `json:"country"`
	Region            string                 `json:"region,omitempty"`
	Level             models.Level           `json:"level"`
	ScopeArea         string                 `json:"scope_area,omitempty"`
	Address           AddressInput           `json:"address"`
	FunctionalMailbox string                 `json:"functional_mailbox"`
	Phone             string                 `json:"phone,omitempty"`
	Status            models.AuthorityStatus `json:"status"`
	Areas             []AreaView             `json:"areas"`
}

// AuthorityViewOf is an authority as a reader of lang sees it.
func AuthorityViewOf(a models.Authority, lang string) AuthorityView {
	if lang == "" {
		lang = "en"
	}
	v := AuthorityView{
		ID: a.ID, Kind: a.Kind, OfficialName: a.OfficialName, OfficialNameLang: a.OfficialNameLang,
		Designation: localizeText(a.Designation, lang), Description: localizeText(a.Description, lang),
		Country: a.CountryCode, Region: a.Region, Level: a.Level, ScopeArea: a.ScopeArea,
		Address:           AddressInput{Street: a.Street, PostalCode: a.PostalCode, City: a.City},
		FunctionalMailbox: a.FunctionalMailbox, Phone: a.Phone, Status: a.Status, Areas: []AreaView{},
	}
	for _, area := range a.Areas {
		comps := []string(area.Competences)
		if comps == nil {
			comps = []string{}
		}
		v.Areas = append(v.Areas, AreaView{Area: area.AreaCode, Competences: comps})
	}
	return v
}

// UserView is an official as their local data administrator sees them.
type UserView struct {
	ID          uuid.UUID         `json:"id"`
	Email       string            `json:"email"`
	DisplayName string            `json:"display_name"`
	Language    string            `json:"language"`
	Status      models.UserStatus `json:"status"`
	Roles       []RoleView        `json:"roles"`
}

// UserViewOf is the view of an official with their roles.
func UserViewOf(u models.User, roles []models.UserRole) UserView {
	v := UserView{ID: u.ID, Email: u.Email, DisplayName: u.DisplayName, Language: u.PreferredLanguage, Status: u.Status, Roles: []RoleView{}}
	for _, r := range roles {
		v.Roles = append(v.Roles, RoleView{Role: r.Role, Area: r.AreaCode})
	}
	return v
}

// RegistrationEventView is one entry of a registration's timeline.
type RegistrationEventView struct {
	Kind  string     `json:"kind"`
	Actor *uuid.UUID `json:"actor,omitempty"`
	Note  string     `json:"note,omitempty"`
	At    time.Time  `json:"at"`
}

// RegistrationView is a registration as a coordinator of its scope sees
// it.
type RegistrationView struct {
	ID          uuid.UUID                 `json:"id"`
	Status      models.RegistrationStatus `json:"status"`
	Reason      string                    `json:"reason,omitempty"`
	SubmittedAt time.Time                 `json:"submitted_at"`
	DecidedAt   *time.Time                `json:"decided_at,omitempty"`
	RemindedAt  *time.Time                `json:"reminded_at,omitempty"`
	EscalatedAt *time.Time                `json:"escalated_at,omitempty"`
	Authority   AuthorityView             `json:"authority"`
	Timeline    []RegistrationEventView   `json:"timeline,omitempty"`
}

// RegistrationViewOf is the view of a registration, with its timeline
// when events are given.
func RegistrationViewOf(r models.Registration, a models.Authority, events []models.RegistrationEvent) RegistrationView {
	v := RegistrationView{
		ID: r.ID, Status: r.Status, Reason: r.Reason, SubmittedAt: r.CreatedAt.UTC(),
		DecidedAt: r.DecidedAt, RemindedAt: r.RemindedAt, EscalatedAt: r.EscalatedAt,
		Authority: AuthorityViewOf(a, "en"),
	}
	for _, e := range events {
		v.Timeline = append(v.Timeline, RegistrationEventView{Kind: e.Kind, Actor: e.ActorUserID, Note: e.Note, At: e.At.UTC()})
	}
	return v
}
