package policy

import "testing"

func TestExportAuditTrail_HelpdeskAndTheNationalCoordinatorsOfEitherCountry(t *testing.T) {
	frNational := coordinator(plNational.Body.Kind, "FR", "", "")
	cases := []struct {
		name  string
		who   Principal
		party bool
		want  Decision
	}{
		{"the helpdesk", helpdesk, false, Allow},
		{"the requesting country's national coordinator", deNational, false, Allow},
		{"the responding country's national coordinator", plNational, true, Allow},
		{"a delegated coordinator of the request", plServices, true, Forbidden},
		{"a national coordinator's clerk", plNationalClerk, false, NotFound},
		{"an official of the request", plHandler, true, Forbidden},
		{"a third country's national coordinator", frNational, false, NotFound},
		{"an official of another authority", deAdmin, false, NotFound},
	}
	for _, c := range cases {
		if got := ExportAuditTrail(c.who, c.party, "DE", "PL"); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
