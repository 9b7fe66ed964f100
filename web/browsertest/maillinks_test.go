package browsertest

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/openimi/openimi/internal/mail"
	"github.com/openimi/openimi/system/systemtest"
)

var headingPattern = regexp.MustCompile(`(?s)<main[^>]*>.*?<h1[^>]*>(.*?)</h1>`)

// pathOf is a mailed link's path and query, below PUBLIC_URL.
func pathOf(t *testing.T, link string) string {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	return u.RequestURI()
}

// getPage GETs a page of the system, with the session token as its cookie
// when one is given, without following redirects.
func getPage(t *testing.T, sys *systemtest.System, path, token string) (status int, location, heading string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, sys.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.AddCookie(&http.Cookie{Name: "__Host-openimi_session", Value: token})
	}
	client := &http.Client{Timeout: 20 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if m := headingPattern.FindSubmatch(body); m != nil {
		heading = strings.TrimSpace(string(m[1]))
	}
	return resp.StatusCode, resp.Header.Get("Location"), heading
}

// TestMailLinks_EveryKindsLinkLandsOnItsPage renders each mail kind for a
// real request, registration or token, takes the link from the mail's
// text and follows it: signed out, to the sign-in page that leads on to
// it (or, for a link with a token, straight to its page); signed in as
// the mail's recipient, to the page with its heading.
func TestMailLinks_EveryKindsLinkLandsOnItsPage(t *testing.T) {
	sys := systemtest.Start(t, systemtest.Options{})
	templates, err := mail.LoadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	id, requester, responder := sentRequest(t, sys)
	coordinator := sys.NationalCoordinator(t, "PL")

	// A registration, from an invitation, approved.
	registrant := systemtest.UniqueEmail("registrant")
	if r := sys.Do(t, http.MethodPost, "/api/v1/invitations", coordinator.Token, map[string]any{"email": registrant, "language": "en"}); r.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	used := pathOf(t, mailLink(t, sys, registrant, "/register?invitation="))
	first := systemtest.UniqueEmail("first")
	if r := sys.Do(t, http.MethodPost, "/api/v1/registrations", "", map[string]any{
		"invitation_token": strings.TrimPrefix(used, "/register?invitation="),
		"authority": map[string]any{
			"official_name": "Urząd Miejski w Sopocie", "official_name_lang": "pl",
			"country": "PL", "region": "Pomorskie", "level": "local",
			"functional_mailbox": systemtest.UniqueEmail("imi-sopot"),
			"areas":              []map[string]any{{"area": "services", "competences": []string{"construction"}}},
		},
		"first_user": map[string]any{"email": first, "display_name": "Ewa Nowak", "language": "en", "password": systemtest.ActivePassword},
	}); r.Status != http.StatusCreated && r.Status != http.StatusAccepted {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	registration := pathOf(t, mailLink(t, sys, coordinator.Email, "/registrations/"))
	if r := sys.Do(t, http.MethodPost, "/api/v1"+registration+"/approve", coordinator.Token, nil); r.Status/100 != 2 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	mailLink(t, sys, first, "/registrations/")
	firstUser := systemtest.Official{Email: first, Token: sys.Login(t, first, systemtest.ActivePassword)}

	// The links with a token: a fresh invitation, an activation, a reset.
	invitee := systemtest.UniqueEmail("invitee")
	if r := sys.Do(t, http.MethodPost, "/api/v1/invitations", coordinator.Token, map[string]any{"email": invitee, "language": "en"}); r.Status != http.StatusCreated {
		t.Fatalf("invite: %d %s", r.Status, r.Body)
	}
	invitation := pathOf(t, mailLink(t, sys, invitee, "/register?invitation="))
	activation := pathOf(t, mailLink(t, sys, newOfficial(t, sys), "/activate?token="))
	if r := sys.Do(t, http.MethodPost, "/api/v1/auth/password-reset/request", "", map[string]any{"email": requester.Email}); r.Status/100 != 2 {
		t.Fatalf("ask for a reset: %d %s", r.Status, r.Body)
	}
	reset := pathOf(t, mailLink(t, sys, requester.Email, "/reset-password?token="))

	request := "/requests/" + id
	type landing struct {
		path string
		// reader is who the mail goes to; none for a link with a token,
		// which works signed out.
		reader *systemtest.Official
	}
	landings := map[mail.Kind]landing{
		mail.RequestReceived: {request, &responder}, mail.RequestForwarded: {request, &responder},
		mail.AcceptanceReminder: {request, &responder}, mail.ReplyReminder: {request, &responder},
		mail.RequestChased: {request, &responder}, mail.ClarificationRequested: {request, &responder},
		mail.RequestClosed: {request, &responder}, mail.RequestWithdrawn: {request, &responder},
		mail.RequestAccepted: {request, &requester}, mail.RequestAnswered: {request, &requester},
		mail.ClarificationGiven: {request, &responder}, mail.DeadlineProposed: {request, &requester},
		mail.RequestReferred: {request, &requester}, mail.RequestReturned: {request, &requester},
		mail.CoordinatorNote:  {request, &requester},
		mail.RequestEscalated: {request, &coordinator}, mail.ReplyOverdueEscalation: {request, &coordinator},
		mail.RegistrationPending: {registration, &coordinator}, mail.RegistrationReminder: {registration, &coordinator},
		mail.RegistrationEscalated: {registration, &coordinator},
		mail.RegistrationApproved:  {registration, &firstUser}, mail.RegistrationRejected: {registration, &firstUser},
		mail.Invitation: {invitation, nil}, mail.AccountActivation: {activation, nil}, mail.PasswordReset: {reset, nil},
	}
	const publicURL = "https://openimi.test"
	for _, kind := range mail.Kinds() {
		t.Run(string(kind), func(t *testing.T) {
			l, ok := landings[kind]
			if !ok {
				t.Fatalf("no landing known for the mail kind %s", kind)
			}
			data := map[string]string{}
			for _, f := range kind.Needs() {
				data[f] = "2026-12-24"
			}
			data[mail.FieldPath] = l.path
			r, err := templates.Render(kind, "en", data, publicURL+l.path)
			if err != nil {
				t.Fatal(err)
			}
			links := linkPattern.FindAllString(r.Text, -1)
			if len(links) == 0 {
				t.Fatalf("the %s mail has no link: %q", kind, r.Text)
			}
			path := pathOf(t, links[0])
			if path != l.path {
				t.Errorf("the %s mail links to %s, want %s", kind, path, l.path)
			}

			status, location, heading := getPage(t, sys, path, "")
			if l.reader == nil {
				if status != http.StatusOK || heading == "" || heading == "Page not found" {
					t.Errorf("signed out, %s (%s) answers %d with the heading %q", path, kind, status, heading)
				}
				return
			}
			if want := "/sign-in?next=" + url.QueryEscape(path); status != http.StatusSeeOther || location != want {
				t.Errorf("signed out, %s (%s) answers %d to %q, want 303 to %s", path, kind, status, location, want)
			}
			status, _, heading = getPage(t, sys, path, l.reader.Token)
			if status != http.StatusOK || heading == "" || heading == "Page not found" {
				t.Errorf("signed in as its recipient, %s (%s) answers %d with the heading %q", path, kind, status, heading)
			}
		})
	}
}
