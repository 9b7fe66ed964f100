package policy

// ExportAuditTrail decides who may export a request's timeline and access
// log for the data protection officer: the helpdesk, which supervises the
// system EU-wide (without personal data, SPEC §1), and the national
// coordinator of either country, which answers for its country's use of
// it. The officials of the request see the timeline and the access log
// already and are refused the export (forbidden); anyone else is told the
// request does not exist.
func ExportAuditTrail(p Principal, partyOrCoordinator bool, countries ...string) Decision {
	if p.Helpdesk {
		return Allow
	}
	for _, c := range countries {
		if p.IsNationalCoordinator(c) {
			return Allow
		}
	}
	if partyOrCoordinator {
		return Forbidden
	}
	return NotFound
}
