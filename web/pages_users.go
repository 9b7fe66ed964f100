package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/openimi/openimi/cases"
	"github.com/openimi/openimi/models"
)

// A local data administrator's pages: their authority's officials (create,
// roles per area, deactivate) and the mails that could not be delivered.

type usersData struct {
	Users     []cases.UserView
	Languages []option
	// Roles are the checkboxes of the new official's roles: a role in an
	// area as "role:area", a role of the whole authority as "role".
	Roles []option
}

// ownAuthority is the authority the reader acts for; the use cases decide
// what they may do with it.
func ownAuthority(c cases.Caller) uuid.UUID {
	if c.Principal.Body == nil {
		return uuid.Nil
	}
	return c.Principal.Body.ID
}

func (h *Handler) usersPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "users.title")
	switch r.URL.Query().Get("done") {
	case "created":
		p.Notice = p.T("users.created")
	case "updated":
		p.Notice = p.T("users.updated")
	}
	h.showUsers(w, r, c, p, http.StatusOK)
}

func (h *Handler) showUsers(w http.ResponseWriter, r *http.Request, c cases.Caller, p *Page, status int) {
	list, err := h.cases.ListUsers(r.Context(), c, cases.ListUsersInput{AuthorityID: ownAuthority(c)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	authority, err := h.cases.GetAuthority(r.Context(), c, cases.GetAuthorityInput{ID: ownAuthority(c)})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := usersData{Users: list.Users}
	for _, l := range h.catalog.Languages() {
		d.Languages = append(d.Languages, option{Value: l.Code, Label: l.Code + " – " + l.Name, Selected: p.Form.Get("language") == l.Code})
	}
	for _, a := range authority.Areas {
		area, ok := h.catalog.Area(a.Area)
		if !ok {
			continue
		}
		name, _, _ := area.Name.In(p.Lang)
		for _, role := range []models.Role{models.RequestHandler, models.Allocator} {
			d.Roles = append(d.Roles, option{Value: string(role) + ":" + a.Area, Label: p.T("role."+string(role)) + " – " + name})
		}
	}
	d.Roles = append(d.Roles, option{Value: string(models.LocalDataAdministrator), Label: p.T("role." + string(models.LocalDataAdministrator))})
	p.Data = d
	h.render(w, r, status, "users/list", p)
}

// rolesOf reads the roles' checkboxes.
func rolesOf(values []string) []cases.RoleInput {
	roles := []cases.RoleInput{}
	for _, v := range values {
		role, area, _ := strings.Cut(v, ":")
		roles = append(roles, cases.RoleInput{Role: models.Role(role), Area: area})
	}
	return roles
}

func (h *Handler) createUser(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := cases.CreateUserInput{
		AuthorityID:  ownAuthority(c),
		NewUserInput: cases.NewUserInput{Email: f.Get("email"), DisplayName: f.Get("display_name"), Language: f.Get("language")},
		Roles:        rolesOf(f["roles"]),
	}
	if _, err := h.cases.CreateUser(r.Context(), c, in); err != nil {
		p := h.page(w, r, h.readerOfCaller(c), c.Language, "users.title")
		p.Form = f
		status, ok := h.useCaseError(p, err)
		if !ok || status == http.StatusNotFound {
			h.fail(w, r, err)
			return
		}
		h.showUsers(w, r, c, p, status)
		return
	}
	http.Redirect(w, r, "/users?done=created", http.StatusSeeOther)
}

func (h *Handler) updateUserStatus(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		h.fail(w, r, errNotFound)
		return
	}
	status := models.UserStatus(r.PostFormValue("status"))
	if _, err := h.cases.UpdateUser(r.Context(), c, cases.UpdateUserInput{AuthorityID: ownAuthority(c), UserID: id, Status: &status}); err != nil {
		p := h.page(w, r, h.readerOfCaller(c), c.Language, "users.title")
		code, ok := h.useCaseError(p, err)
		if !ok || code == http.StatusNotFound {
			h.fail(w, r, err)
			return
		}
		h.showUsers(w, r, c, p, code)
		return
	}
	http.Redirect(w, r, "/users?done=updated", http.StatusSeeOther)
}

type notificationsData struct {
	Result     cases.NotificationList
	Prev, Next string
}

func (h *Handler) notificationsPage(w http.ResponseWriter, r *http.Request) {
	c, ok := h.signedIn(w, r)
	if !ok {
		return
	}
	in := cases.FailedNotificationsInput{Status: "failed"}
	if v := r.URL.Query().Get("page"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			in.Page = &n
		}
	}
	list, err := h.cases.FailedNotifications(r.Context(), c, in)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	d := notificationsData{Result: list}
	if list.Page > 1 {
		d.Prev = "/notifications?page=" + strconv.Itoa(list.Page-1)
	}
	if int64(list.Page*list.PageSize) < list.Total {
		d.Next = "/notifications?page=" + strconv.Itoa(list.Page+1)
	}
	p := h.page(w, r, h.readerOfCaller(c), c.Language, "notifications.title")
	p.Data = d
	h.render(w, r, http.StatusOK, "users/notifications", p)
}
