package browsertest

import (
	"strings"
	"testing"

	"github.com/openimi/openimi/models"
	"github.com/openimi/openimi/system/systemtest"
)

func TestDirectory_AnOfficialFindsAnAuthorityAbroadAndReadsItsCompetencesInTheirLanguage(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	areas := []models.AuthorityArea{{AreaCode: "services", Competences: []string{"construction"}}}
	official := sys.Authority(t, "DE", "Bayern", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	abroad := sys.Authority(t, "PL", "Pomorskie", areas, []models.UserRole{{Role: models.RequestHandler, AreaCode: "services"}})
	readsIn(t, sys, official, "de")

	b := newBrowserIn(t, sys, "de")
	b.open("/directory")
	b.signIn(official)
	b.choose("country", "PL")
	b.choose("area", "services")
	b.submit(`main form button[type=submit]`)
	b.check("directory")
	b.submit(`main table a[href="/authorities/` + abroad.AuthorityID.String() + `"]`)
	main := b.text("main")
	if !strings.Contains(main, "Dienstleistungen") || !strings.Contains(main, "Polen") {
		t.Errorf("the authority's page for a German reader reads %q", main)
	}
	b.check("authority")
}
