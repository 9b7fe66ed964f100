package api

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/openimi/openimi/internal/catalog"
)

// Translation says which language an entity is shown in: Lang is the
// language of its main string (name, text or label), and Fallback is true
// when any of its strings is not in the language the caller was answered
// in, so that a client can mark them ("shown in English").
type Translation struct {
	Lang     string `json:"lang"`
	Fallback bool   `json:"fallback"`
}

// TranslatedCountry is a participating country in the caller's language.
type TranslatedCountry struct {
	Code      string   `json:"code"`
	Name      string   `json:"name"`
	Languages []string `json:"languages"`
	Translation
}

// CountriesResponse answers GET /api/v1/countries.
type CountriesResponse struct {
	Lang      string              `json:"lang"`
	Countries []TranslatedCountry `json:"countries"`
}

// TranslatedAreaSummary is a legislative area as listed.
type TranslatedAreaSummary struct {
	Code       string `json:"code"`
	Name       string `json:"name"`
	LegalBasis string `json:"legal_basis"`
	Translation
}

// AreasResponse answers GET /api/v1/areas.
type AreasResponse struct {
	Lang  string                  `json:"lang"`
	Areas []TranslatedAreaSummary `json:"areas"`
}

// TranslatedOption is one coded answer of a choice question.
type TranslatedOption struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	Translation
}

// TranslatedQuestion is one question of an area's set. Its Translation
// covers its own text; each option carries its own.
type TranslatedQuestion struct {
	Code         string             `json:"code"`
	AnswerType   catalog.AnswerType `json:"answer_type"`
	PersonalData bool               `json:"personal_data"`
	Text         string             `json:"text"`
	Options      []TranslatedOption `json:"options"`
	Translation
}

// TranslatedCompetence is one entry of an area's competence list, with its
// search keywords in the caller's language (none when it has none there).
type TranslatedCompetence struct {
	Code     string   `json:"code"`
	Label    string   `json:"label"`
	Keywords []string `json:"keywords"`
	Translation
}

// TranslatedArea is a legislative area with everything an official needs
// to build a request under it.
type TranslatedArea struct {
	Code        string                 `json:"code"`
	Name        string                 `json:"name"`
	LegalBasis  string                 `json:"legal_basis"`
	Deadlines   catalog.Deadlines      `json:"deadlines"`
	Retention   catalog.Retention      `json:"retention"`
	Questions   []TranslatedQuestion   `json:"questions"`
	Competences []TranslatedCompetence `json:"competences"`
	Translation
}

// AreaResponse answers GET /api/v1/areas/{code}.
type AreaResponse struct {
	Lang string         `json:"lang"`
	Area TranslatedArea `json:"area"`
}

// referenceHandlers serve the reference data from memory: they are public,
// read on every form an official opens, and change only with a release.
type referenceHandlers struct {
	catalog *catalog.Catalog
}

func (h referenceHandlers) register(v1 *gin.RouterGroup) {
	v1.GET("/countries", h.countries)
	v1.GET("/areas", h.areas)
	v1.GET("/areas/:code", h.area)
}

func (h referenceHandlers) countries(c *gin.Context) {
	lang, ok := h.negotiate(c)
	if !ok || h.notModified(c, lang) {
		return
	}
	resp := CountriesResponse{Lang: lang, Countries: []TranslatedCountry{}}
	for _, co := range h.catalog.Countries() {
		var tr Translation
		name := translate(lang, co.Name, &tr)
		resp.Countries = append(resp.Countries, TranslatedCountry{Code: co.Code, Name: name, Languages: co.Languages, Translation: tr})
	}
	c.JSON(http.StatusOK, resp)
}

func (h referenceHandlers) areas(c *gin.Context) {
	lang, ok := h.negotiate(c)
	if !ok || h.notModified(c, lang) {
		return
	}
	resp := AreasResponse{Lang: lang, Areas: []TranslatedAreaSummary{}}
	for _, a := range h.catalog.Areas() {
		var tr Translation
		name := translate(lang, a.Name, &tr)
		basis := translate(lang, a.LegalBasis, &tr)
		resp.Areas = append(resp.Areas, TranslatedAreaSummary{Code: a.Code, Name: name, LegalBasis: basis, Translation: tr})
	}
	c.JSON(http.StatusOK, resp)
}

func (h referenceHandlers) area(c *gin.Context) {
	lang, ok := h.negotiate(c)
	if !ok {
		return
	}
	code := c.Param("code")
	a, found := h.catalog.Area(code)
	if !found {
		abortWithError(c, http.StatusNotFound, "not_found", fmt.Sprintf("no legislative area has the code %q", code),
			gin.H{"code": code})
		return
	}
	if h.notModified(c, lang) {
		return
	}
	var tr Translation
	out := TranslatedArea{
		Code:        a.Code,
		Name:        translate(lang, a.Name, &tr),
		LegalBasis:  translate(lang, a.LegalBasis, &tr),
		Deadlines:   a.Deadlines,
		Retention:   a.Retention,
		Questions:   make([]TranslatedQuestion, 0, len(a.Questions)),
		Competences: make([]TranslatedCompetence, 0, len(a.Competences)),
		Translation: tr,
	}
	for _, q := range a.Questions {
		var qtr Translation
		tq := TranslatedQuestion{
			Code:         q.Code,
			AnswerType:   q.Type,
			PersonalData: q.PersonalData,
			Text:         translate(lang, q.Text, &qtr),
			Options:      make([]TranslatedOption, 0, len(q.Options)),
		}
		tq.Translation = qtr
		for _, o := range q.Options {
			var otr Translation
			label := translate(lang, o.Label, &otr)
			tq.Options = append(tq.Options, TranslatedOption{Code: o.Code, Label: label, Translation: otr})
		}
		out.Questions = append(out.Questions, tq)
	}
	for _, co := range a.Competences {
		var ctr Translation
		label := translate(lang, co.Label, &ctr)
		keywords := co.Keywords[lang]
		if keywords == nil {
			keywords = []string{}
		}
		out.Competences = append(out.Competences, TranslatedCompetence{Code: co.Code, Label: label, Keywords: keywords, Translation: ctr})
	}
	c.JSON(http.StatusOK, AreaResponse{Lang: lang, Area: out})
}

// translate returns t in lang and records it in tr: the first string of an
// entity sets its language, any string that falls back flags it.
func translate(lang string, t catalog.Text, tr *Translation) string {
	value, used, fallback := t.In(lang)
	if tr.Lang == "" {
		tr.Lang = used
	}
	tr.Fallback = tr.Fallback || fallback
	return value
}

// negotiate picks the response language from ?lang= and Accept-Language,
// answering a malformed lang with a 400.
func (h referenceHandlers) negotiate(c *gin.Context) (string, bool) {
	query := c.Query("lang")
	lang, err := h.catalog.Negotiate(query, c.GetHeader("Accept-Language"))
	if err != nil {
		supported := make([]string, 0, len(h.catalog.Languages()))
		for _, l := range h.catalog.Languages() {
			supported = append(supported, l.Code)
		}
		abortWithError(c, http.StatusBadRequest, "invalid_language",
			fmt.Sprintf("the lang parameter %q is not a language tag; use an ISO 639-1 code such as \"de\" or \"pl\"", query),
			gin.H{"parameter": "lang", "supported": supported})
		return "", false
	}
	c.Header("Content-Language", lang)
	return lang, true
}

// notModified sets the caching headers and answers 304 when the caller
// already holds this representation. The entity tag is the catalog's
// digest and the language: the data change only with a release, so a
// client may reuse an answer for five minutes and revalidate it for
// nothing after that.
func (h referenceHandlers) notModified(c *gin.Context, lang string) bool {
	etag := `"` + h.catalog.Digest() + "-" + lang + `"`
	c.Header("ETag", etag)
	c.Header("Cache-Control", "public, max-age=300")
	// The language can come from Accept-Language: a shared cache must not
	// hand a German answer to a French browser.
	c.Header("Vary", "Accept-Language")
	for _, candidate := range strings.Split(c.GetHeader("If-None-Match"), ",") {
		candidate = strings.TrimPrefix(strings.TrimSpace(candidate), "W/")
		if candidate == etag || candidate == "*" {
			c.Status(http.StatusNotModified)
			return true
		}
	}
	return false
}
