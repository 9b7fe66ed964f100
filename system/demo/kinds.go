package demo

import "github.com/openimi/openimi/models"

// kindKey names a kind of authority the demo makes.
type kindKey string

// The kinds of authority. Local ones are named after a city, regional ones
// after a city (bar, commerce) or a region, national ones after nothing.
const (
	kMunicipality    kindKey = "municipality"
	kBuildingControl kindKey = "building-control"
	kTradeLicensing  kindKey = "trade-licensing"
	kHealthOffice    kindKey = "public-health-office"
	kTourismOffice   kindKey = "tourism-office"
	kBar             kindKey = "bar"
	kCommerce        kindKey = "chamber-of-commerce"
	kMedical         kindKey = "medical-chamber"
	kArchitects      kindKey = "chamber-of-architects"
	kConsumer        kindKey = "consumer-protection"
	kHealthRegister  kindKey = "health-professions-register"
	kHealthMinistry  kindKey = "ministry-of-health"
	kRecognition     kindKey = "recognition-centre"
	kVeterinary      kindKey = "veterinary-chamber"
	kDental          kindKey = "dental-chamber"
	kPharmacy        kindKey = "pharmaceutical-chamber"
	kCoordinator     kindKey = "national-coordinator"
)

// scope is what a kind of authority is named after.
type scope int

const (
	cityScope scope = iota
	regionScope
	nationalScope
)

// areaTerms names what an authority does in one legislative area, in the
// words Competences.Match resolves.
type areaTerms struct {
	area  string
	terms []string
}

// kind is a pattern of authority: its level, what it is competent for, and
// how it is designated in English and a few other languages.
type kind struct {
	key   kindKey
	scope scope
	level models.Level
	// weight is how often the kind is drawn, relative to the others.
	weight int
	areas  []areaTerms
	// en is the English designation; {place} is the city, region or, for a
	// national body, the country.
	en string
	// description is the English description, with {place} as in en.
	description string
	// designations are generic designations in other languages, without
	// the place, which follows in parentheses for local and regional
	// bodies.
	designations map[string]string
}

// pq and svc shorten the tables below.
func pq(terms ...string) areaTerms  { return areaTerms{ProfessionalQualifications, terms} }
func svc(terms ...string) areaTerms { return areaTerms{Services, terms} }

// kinds lists every kind, in a fixed order that generation depends on.
func kinds() []kind {
	return []kind{
		{
			key: kMunicipality, scope: cityScope, level: models.Local, weight: 12,
			areas:       []areaTerms{svc("construction", "retail", "catering", "tourism")},
			en:          "Municipality of {place}",
			description: "Local authority of {place}: permits and registrations for service providers.",
			designations: map[string]string{
				"de": "Stadtverwaltung", "fr": "Administration communale", "es": "Ayuntamiento", "it": "Amministrazione comunale",
				"pl": "Urząd miasta", "nl": "Gemeentebestuur", "sv": "Stadsförvaltning", "fi": "Kaupunginhallinto", "tr": "Belediye",
			},
		},
		{
			key: kBuildingControl, scope: cityScope, level: models.Local, weight: 5,
			areas:       []areaTerms{pq("architect", "engineer"), svc("construction")},
			en:          "Building Control, Municipality of {place}",
			description: "Issues building permits in {place} and checks the qualifications of the architects and engineers who sign plans.",
			designations: map[string]string{
				"de": "Bauaufsichtsbehörde", "fr": "Service de l'urbanisme", "es": "Servicio de urbanismo", "it": "Ufficio edilizia",
				"pl": "Nadzór budowlany", "nl": "Bouw- en woningtoezicht", "sv": "Byggnadstillsyn", "fi": "Rakennusvalvonta", "tr": "Yapı Denetim Dairesi",
			},
		},
		{
			key: kTradeLicensing, scope: cityScope, level: models.Local, weight: 5,
			areas:       []areaTerms{pq("hairdresser", "electrician"), svc("retail", "street trading", "catering")},
			en:          "Trade Licensing Office, Municipality of {place}",
			description: "Registers trades and licenses shops, restaurants and street trading in {place}.",
			designations: map[string]string{
				"de": "Gewerbeamt", "fr": "Service des autorisations commerciales", "es": "Servicio de licencias de actividad", "it": "Sportello attività produttive",
				"pl": "Wydział działalności gospodarczej", "nl": "Dienst vergunningen", "sv": "Tillståndsenhet", "fi": "Elinkeinolupapalvelut", "tr": "Ticari Ruhsat Dairesi",
			},
		},
		{
			key: kHealthOffice, scope: cityScope, level: models.Local, weight: 4,
			areas:       []areaTerms{pq("doctor", "nurse", "midwife")},
			en:          "Public Health Office, Municipality of {place}",
			description: "Public health office of {place}: authorises doctors, nurses and midwives to practise locally.",
			designations: map[string]string{
				"de": "Gesundheitsamt", "fr": "Service d'hygiène et de santé", "es": "Servicio de salud pública", "it": "Ufficio igiene e sanità pubblica",
				"pl": "Wydział zdrowia", "nl": "Gezondheidsdienst", "sv": "Hälsoskydd", "fi": "Terveydensuojelu", "tr": "Halk Sağlığı Dairesi",
			},
		},
		{
			key: kTourismOffice, scope: cityScope, level: models.Local, weight: 3,
			areas:       []areaTerms{pq("tourist guide"), svc("tourism")},
			en:          "Tourist Office, Municipality of {place}",
			description: "Licenses tourist guides and travel services in {place}.",
			designations: map[string]string{
				"de": "Tourismusamt", "fr": "Office de tourisme", "es": "Oficina de turismo", "it": "Ufficio turistico",
				"pl": "Wydział turystyki", "nl": "Toeristische dienst", "sv": "Turistbyrå", "fi": "Matkailutoimisto", "tr": "Turizm Bürosu",
			},
		},
		{
			key: kBar, scope: cityScope, level: models.Regional, weight: 3,
			areas:       []areaTerms{pq("lawyer"), svc("legal services")},
			en:          "Bar Association of {place}",
			description: "Admits lawyers to the bar in {place} and rules on their professional conduct.",
			designations: map[string]string{
				"de": "Rechtsanwaltskammer", "fr": "Ordre des avocats", "es": "Colegio de la Abogacía", "it": "Ordine degli avvocati",
				"pl": "Izba adwokacka", "nl": "Orde van advocaten", "sv": "Advokatsamfund", "fi": "Asianajajaliitto", "tr": "Baro",
			},
		},
		{
			key: kCommerce, scope: cityScope, level: models.Regional, weight: 3,
			areas:       []areaTerms{svc("business registration", "retail", "wholesale", "crafts")},
			en:          "Chamber of Commerce of {place}",
			description: "Keeps the trade register for {place} and advises service providers who set up there.",
			designations: map[string]string{
				"de": "Industrie- und Handelskammer", "fr": "Chambre de commerce et d'industrie", "es": "Cámara de comercio", "it": "Camera di commercio",
				"pl": "Izba handlowa", "nl": "Kamer van koophandel", "sv": "Handelskammare", "fi": "Kauppakamari", "tr": "Ticaret ve Sanayi Odası",
			},
		},
		{
			key: kMedical, scope: regionScope, level: models.Regional, weight: 8,
			areas:       []areaTerms{pq("doctor")},
			en:          "Medical Chamber of {place}",
			description: "Registers doctors in {place}, recognises foreign medical qualifications and handles disciplinary cases.",
			designations: map[string]string{
				"de": "Ärztekammer", "fr": "Ordre des médecins", "es": "Colegio de Médicos", "it": "Ordine dei medici",
				"pl": "Izba lekarska", "nl": "Orde der artsen", "sv": "Läkarförbund", "fi": "Lääkäriliitto", "tr": "Tabipler Odası",
			},
		},
		{
			key: kArchitects, scope: regionScope, level: models.Regional, weight: 6,
			areas:       []areaTerms{pq("architect"), svc("architecture")},
			en:          "Chamber of Architects of {place}",
			description: "Keeps the register of architects in {place} and recognises foreign qualifications.",
			designations: map[string]string{
				"de": "Architektenkammer", "fr": "Ordre des architectes", "es": "Colegio de Arquitectos", "it": "Ordine degli architetti",
				"pl": "Izba architektów", "nl": "Orde van architecten", "sv": "Arkitektförbund", "fi": "Arkkitehtiliitto", "tr": "Mimarlar Odası",
			},
		},
		{
			key: kConsumer, scope: regionScope, level: models.Regional, weight: 5,
			areas:       []areaTerms{svc("retail", "tourism", "catering")},
			en:          "Consumer Protection Office of {place}",
			description: "Enforces consumer-protection law towards traders established in {place}.",
			designations: map[string]string{
				"de": "Verbraucherschutzbehörde", "fr": "Service de protection des consommateurs", "es": "Servicio de consumo", "it": "Ufficio tutela dei consumatori",
				"pl": "Inspekcja handlowa", "nl": "Dienst consumentenbescherming", "sv": "Konsumentskydd", "fi": "Kuluttajansuoja", "tr": "Tüketiciyi Koruma Dairesi",
			},
		},
		{
			key: kHealthRegister, scope: nationalScope, level: models.National, weight: 2,
			areas:       []areaTerms{pq("nurse", "midwife", "physiotherapist", "psychologist")},
			en:          "Register of Health Professionals",
			description: "Keeps the national register of nurses, midwives and other health professionals of {place}.",
			designations: map[string]string{
				"de": "Register der Gesundheitsberufe", "fr": "Registre des professions de santé", "es": "Registro de profesionales sanitarios", "it": "Albo delle professioni sanitarie",
				"pl": "Rejestr zawodów medycznych", "nl": "Register van gezondheidsberoepen", "sv": "Register över hälso- och sjukvårdspersonal", "fi": "Terveydenhuollon ammattihenkilöiden rekisteri", "tr": "Sağlık Meslekleri Sicili",
			},
		},
		{
			key: kHealthMinistry, scope: nationalScope, level: models.National, weight: 2,
			areas:       []areaTerms{pq("doctor", "nurse", "dentist", "midwife", "pharmacist")},
			en:          "Ministry of Health",
			description: "National ministry of {place} responsible for the regulated health professions.",
			designations: map[string]string{
				"de": "Gesundheitsministerium", "fr": "Ministère de la santé", "es": "Ministerio de Sanidad", "it": "Ministero della salute",
				"pl": "Ministerstwo zdrowia", "nl": "Ministerie van volksgezondheid", "sv": "Hälsovårdsministerium", "fi": "Terveysministeriö", "tr": "Sağlık Bakanlığı",
			},
		},
		{
			key: kRecognition, scope: nationalScope, level: models.National, weight: 2,
			areas:       []areaTerms{pq("teacher", "psychologist", "engineer")},
			en:          "Recognition Centre for Foreign Qualifications (ENIC-NARIC)",
			description: "Recognises foreign diplomas and qualifications in {place}, teachers' among them.",
			designations: map[string]string{
				"de": "Anerkennungsstelle für ausländische Qualifikationen (ENIC-NARIC)", "fr": "Centre de reconnaissance des qualifications étrangères (ENIC-NARIC)",
				"es": "Centro de reconocimiento de títulos extranjeros (ENIC-NARIC)", "it": "Centro di riconoscimento dei titoli esteri (ENIC-NARIC)",
				"pl": "Ośrodek uznawania kwalifikacji zagranicznych (ENIC-NARIC)", "nl": "Erkenningscentrum voor buitenlandse diploma's (ENIC-NARIC)",
				"sv": "Centrum för erkännande av utländska examina (ENIC-NARIC)", "fi": "Ulkomaisten tutkintojen tunnustamiskeskus (ENIC-NARIC)", "tr": "Yabancı Diploma Tanıma Merkezi (ENIC-NARIC)",
			},
		},
		{
			key: kVeterinary, scope: nationalScope, level: models.National, weight: 2,
			areas:       []areaTerms{pq("veterinary surgeon")},
			en:          "Veterinary Chamber",
			description: "Registers the veterinary surgeons of {place} and supervises their practice.",
			designations: map[string]string{
				"de": "Tierärztekammer", "fr": "Ordre des vétérinaires", "es": "Colegio de Veterinarios", "it": "Ordine dei medici veterinari",
				"pl": "Izba lekarsko-weterynaryjna", "nl": "Orde der dierenartsen", "sv": "Veterinärförbund", "fi": "Eläinlääkäriliitto", "tr": "Veteriner Hekimleri Odası",
			},
		},
		{
			key: kDental, scope: nationalScope, level: models.National, weight: 2,
			areas:       []areaTerms{pq("dentist")},
			en:          "Dental Chamber",
			description: "Registers the dentists of {place} and supervises their practice.",
			designations: map[string]string{
				"de": "Zahnärztekammer", "fr": "Ordre des chirurgiens-dentistes", "es": "Colegio de Dentistas", "it": "Albo degli odontoiatri",
				"pl": "Izba lekarsko-dentystyczna", "nl": "Orde der tandartsen", "sv": "Tandläkarförbund", "fi": "Hammaslääkäriliitto", "tr": "Diş Hekimleri Odası",
			},
		},
		{
			key: kPharmacy, scope: nationalScope, level: models.National, weight: 2,
			areas:       []areaTerms{pq("pharmacist")},
			en:          "Pharmaceutical Chamber",
			description: "Registers the pharmacists of {place} and supervises pharmacies.",
			designations: map[string]string{
				"de": "Apothekerkammer", "fr": "Ordre des pharmaciens", "es": "Colegio de Farmacéuticos", "it": "Ordine dei farmacisti",
				"pl": "Izba aptekarska", "nl": "Orde der apothekers", "sv": "Apotekarförbund", "fi": "Apteekkariliitto", "tr": "Eczacılar Odası",
			},
		},
		{
			key: kCoordinator, scope: nationalScope, level: models.National,
			en:          "National IMI Coordinator",
			description: "Coordinates the use of the Internal Market Information system in {place}: registers and validates authorities, receives escalations.",
			designations: map[string]string{
				"de": "Nationaler IMI-Koordinator", "fr": "Coordinateur national IMI", "es": "Coordinador nacional del IMI", "it": "Coordinatore nazionale IMI",
				"pl": "Krajowy koordynator IMI", "nl": "Nationale IMI-coördinator", "sv": "Nationell IMI-samordnare", "fi": "Kansallinen IMI-koordinaattori", "tr": "Ulusal IMI Koordinatörü",
			},
		},
	}
}
