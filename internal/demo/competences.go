package demo

import (
	"slices"
	"strings"
)

// Competences resolves the demo's professions and activities to the
// reference data's competence codes and search text.
//
// The adapter over internal/catalog (written when that branch is merged)
// must: in Match, compare the term case- and accent-insensitively with each
// competence of the area by code, English label and keywords, and return the
// codes that match, sorted; in SearchText, return every label and keyword of
// the competence in every language, space-separated ("" for an unknown
// code). Both must be deterministic, and safe to call many times: the
// generator calls Match once per pattern and SearchText once per code.
type Competences interface {
	// Match returns the codes of the area's competences that a term (e.g.
	// "doctor", "construction") names.
	Match(area, term string) []string
	// SearchText returns every label and keyword of a competence, in every
	// language.
	SearchText(area, code string) string
}

// The legislative areas the demo uses, by their reference-data codes.
const (
	ProfessionalQualifications = "professional-qualifications"
	Services                   = "services"
)

// competence is one entry of a small competence table.
type competence struct {
	code  string
	terms []string // what Match accepts besides the code
	text  string   // labels and keywords in many languages
}

// tableCompetences answers from a fixed table; InterimCompetences and the
// tests use it.
type tableCompetences map[string][]competence

// Match implements Competences.
func (t tableCompetences) Match(area, term string) []string {
	term = strings.ToLower(strings.TrimSpace(term))
	var codes []string
	for _, c := range t[area] {
		if c.code == term || slices.Contains(c.terms, term) {
			codes = append(codes, c.code)
		}
	}
	slices.Sort(codes)
	return codes
}

// SearchText implements Competences.
func (t tableCompetences) SearchText(area, code string) string {
	for _, c := range t[area] {
		if c.code == code {
			return c.text
		}
	}
	return ""
}

// InterimCompetences is a stand-in for the reference data's competence
// lists, so that `openimi seed --demo` runs before internal/catalog is
// merged. TEMPORARY: the merge replaces it with an adapter over the catalog
// (see Competences) and deletes it. The professional-qualifications codes
// are the catalog's; the services codes are guesses, since the catalog's
// are not final.
func InterimCompetences() Competences {
	return tableCompetences{
		ProfessionalQualifications: {
			{"doctor", []string{"physician", "medical doctor"}, "doctor physician medical practitioner Arzt Ärztin médecin médico medico chirurgo lekarz arts lékař lekár zdravnik liječnik orvos medic лекар γιατρός læge läkare lääkäri arst ārsts gydytojas tabib lege læknir"},
			{"nurse", nil, "nurse general care nurse Pflegefachfrau Krankenpfleger infirmier infirmière enfermero enfermera infermiere pielęgniarka verpleegkundige sjuksköterska sairaanhoitaja"},
			{"dentist", nil, "dentist dental practitioner Zahnarzt Zahnärztin dentiste chirurgien-dentiste dentista odontoiatra lekarz dentysta tandarts tandläkare hammaslääkäri"},
			{"midwife", nil, "midwife Hebamme sage-femme matrona ostetrica położna verloskundige barnmorska kätilö"},
			{"pharmacist", nil, "pharmacist Apotheker Apothekerin pharmacien farmacéutico farmacista farmaceuta apotheker apotekare proviisori"},
			{"veterinary-surgeon", []string{"veterinary surgeon", "veterinarian"}, "veterinary surgeon veterinarian Tierarzt Tierärztin vétérinaire veterinario medico veterinario lekarz weterynarii dierenarts veterinär eläinlääkäri"},
			{"architect", nil, "architect Architekt Architektin architecte arquitecto architetto architekt architect arkitekt arkkitehti"},
			{"lawyer", []string{"advocate", "attorney"}, "lawyer advocate Rechtsanwalt Rechtsanwältin avocat abogado avvocato adwokat radca prawny advocaat advokat asianajaja"},
			{"teacher", nil, "teacher Lehrer Lehrerin enseignant professeur profesor insegnante nauczyciel leraar lärare opettaja"},
			{"physiotherapist", nil, "physiotherapist Physiotherapeut kinésithérapeute fisioterapeuta fizjoterapeuta fysiotherapeut fysioterapeut fysioterapeutti"},
			{"engineer", nil, "engineer Ingenieur ingénieur ingeniero ingegnere inżynier ingenieur ingenjör insinööri"},
			{"psychologist", nil, "psychologist Psychologe Psychologin psychologue psicólogo psicologo psycholog psycholoog psykolog psykologi"},
			{"statutory-auditor", []string{"statutory auditor", "auditor"}, "statutory auditor Abschlussprüfer Wirtschaftsprüfer commissaire aux comptes auditor de cuentas revisore legale biegły rewident"},
			{"electrician", nil, "electrician Elektriker Elektroinstallateur électricien electricista elettricista elektryk elektricien elektriker sähköasentaja"},
			{"hairdresser", nil, "hairdresser Friseur Friseurin coiffeur peluquero parrucchiere fryzjer kapper frisör kampaaja"},
			{"tourist-guide", []string{"tourist guide"}, "tourist guide Fremdenführer guide touristique guía turístico guida turistica przewodnik turystyczny"},
			{"patent-attorney", []string{"patent attorney"}, "patent attorney Patentanwalt conseil en propriété industrielle agente de la propiedad industrial consulente in brevetti rzecznik patentowy"},
			{"driving-instructor", []string{"driving instructor"}, "driving instructor Fahrlehrer moniteur d'auto-école profesor de autoescuela istruttore di guida instruktor nauki jazdy"},
		},
		Services: {
			{"construction", []string{"building"}, "construction building works Bauleistungen Bauwesen construction bâtiment construcción costruzioni budownictwo bouw byggverksamhet rakentaminen"},
			{"retail-trade", []string{"retail"}, "retail trade shops Einzelhandel commerce de détail comercio minorista commercio al dettaglio handel detaliczny detailhandel detaljhandel vähittäiskauppa"},
			{"street-trading", []string{"street trading"}, "street trading markets Markthandel Reisegewerbe commerce ambulant venta ambulante commercio ambulante handel obwoźny markthandel"},
			{"catering", []string{"restaurants"}, "catering restaurants Gastronomie Gaststätten restauration restauración ristorazione gastronomia horeca"},
			{"tourism-services", []string{"tourism"}, "tourism travel agencies Tourismus Reisebüro tourisme agence de voyages turismo agenzia di viaggio turystyka"},
			{"legal-services", []string{"legal services"}, "legal services Rechtsdienstleistungen services juridiques servicios jurídicos servizi legali usługi prawne"},
			{"architecture-services", []string{"architecture"}, "architecture services Architekturleistungen services d'architecture servicios de arquitectura servizi di architettura usługi architektoniczne"},
			{"business-registration", []string{"business registration"}, "business registration trade register Handelsregister Gewerbeanmeldung registre du commerce registro mercantil registro delle imprese rejestr przedsiębiorców handelsregister"},
			{"wholesale-trade", []string{"wholesale"}, "wholesale trade Großhandel commerce de gros comercio mayorista commercio all'ingrosso handel hurtowy groothandel"},
			{"crafts", []string{"crafts"}, "crafts Handwerk artisanat artesanía artigianato rzemiosło ambacht hantverk käsityö"},
		},
	}
}
