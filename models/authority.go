package models

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// createAuthority inserts an authority with its areas and its search
// document, inside the caller's transaction.
func createAuthority(tx *gorm.DB, a *Authority) error {
	if err := tx.Omit("Areas").Create(a).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return fmt.Errorf("create authority %q: %w", a.OfficialName, ErrConflict)
		}
		return fmt.Errorf("create authority %q: %w", a.OfficialName, err)
	}
	for i := range a.Areas {
		a.Areas[i].AuthorityID = a.ID
	}
	if len(a.Areas) > 0 {
		if err := tx.Create(&a.Areas).Error; err != nil {
			return fmt.Errorf("record areas of %q: %w", a.OfficialName, err)
		}
	}
	return writeSearchDocument(tx, a.ID, a.SearchText, a.SearchDetails)
}

// writeSearchDocument stores the authority's words without accents, so that
// "medecin" finds "médecin" and the reverse. Its names also go, by a
// trigger, into name_document, which ranks authorities named for the words
// first.
func writeSearchDocument(tx *gorm.DB, id uuid.UUID, names, details string) error {
	err := tx.Exec(`UPDATE authorities SET search_document = to_tsvector('simple', unaccent(?)) WHERE id = ?`,
		names+" "+details, id).Error
	if err != nil {
		return fmt.Errorf("index authority for search: %w", err)
	}
	return nil
}

// createUser inserts a user and their roles inside the caller's transaction.
func createUser(tx *gorm.DB, u *User, roles []UserRole) error {
	u.Email = NormalizeEmail(u.Email)
	if err := tx.Create(u).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return fmt.Errorf("an account for %s exists already: %w", u.Email, ErrConflict)
		}
		return fmt.Errorf("create user %s: %w", u.Email, err)
	}
	for i := range roles {
		roles[i].UserID = u.ID
	}
	if len(roles) > 0 {
		if err := tx.Create(&roles).Error; err != nil {
			return fmt.Errorf("grant roles to %s: %w", u.Email, err)
		}
	}
	return nil
}

// NewAuthorityWithUser is an authority registered in one act, with the
// first user and the single-use link that lets them set a password.
type NewAuthorityWithUser struct {
	Authority *Authority
	FirstUser *User
	Roles     []UserRole
	// Activation is stored with the user; its token reaches them by email.
	Activation *OneTimeToken
}

// Also is more work done in the same transaction as a change, such as
// enqueuing the mails it causes: they exist if and only if it does.
type Also func(tx *gorm.DB) error

func (also Also) run(tx *gorm.DB) error {
	if also == nil {
		return nil
	}
	return also(tx)
}

// CreateAuthorityWithUser records an authority (active or pending, as
// given), its first user and their activation link, all or nothing.
func (s *Store) CreateAuthorityWithUser(ctx context.Context, n NewAuthorityWithUser, also Also) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := createAuthority(tx, n.Authority); err != nil {
			return err
		}
		n.FirstUser.AuthorityID = &n.Authority.ID
		if err := createUser(tx, n.FirstUser, n.Roles); err != nil {
			return err
		}
		if n.Activation != nil {
			n.Activation.UserID = n.FirstUser.ID
			if err := CreateOneTimeToken(tx, n.Activation); err != nil {
				return err
			}
		}
		return also.run(tx)
	})
}

// Authority loads an authority with its areas.
func (s *Store) Authority(ctx context.Context, id uuid.UUID) (Authority, error) {
	var a Authority
	err := s.authorityColumns(ctx).Preload("Areas", func(db *gorm.DB) *gorm.DB { return db.Order("area_code") }).
		Take(&a, "id = ?", id).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Authority{}, ErrNotFound
	}
	if err != nil {
		return Authority{}, fmt.Errorf("load authority: %w", err)
	}
	return a, nil
}

// Authorities loads authorities by id, without their areas: what the
// mails of a request and its sending need, in one query. An id not found is
// missing from the map.
func (s *Store) Authorities(ctx context.Context, ids ...uuid.UUID) (map[uuid.UUID]Authority, error) {
	var found []Authority
	if err := s.authorityColumns(ctx).Where("id IN ?", ids).Find(&found).Error; err != nil {
		return nil, fmt.Errorf("load authorities: %w", err)
	}
	byID := make(map[uuid.UUID]Authority, len(found))
	for _, a := range found {
		byID[a.ID] = a
	}
	return byID, nil
}

// authorityColumns reads only the columns Authority maps: the search
// documents beside them are several times their size and never read back.
func (s *Store) authorityColumns(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Session(&gorm.Session{QueryFields: true})
}

// CoordinatorRecipients lists the active coordinators whose scope covers an
// authority in country/region working in areas: the national coordinator
// always, delegated coordinators of that region and/or one of those areas.
// nationalOnly narrows it to the national coordinator, for escalations.
func (s *Store) CoordinatorRecipients(ctx context.Context, country, region string, areas []string, nationalOnly bool) ([]User, error) {
	q := s.db.WithContext(ctx).
		Joins("JOIN authorities a ON a.id = users.authority_id").
		Joins("JOIN user_roles r ON r.user_id = users.id AND r.role = ?", CoordinatorRole).
		Where("users.status = ? AND a.status = ? AND a.country_code = ?", UserActive, AuthorityActive, country)
	if nationalOnly {
		q = q.Where("a.kind = ?", NationalCoordinator)
	} else {
		q = q.Where("a.kind = ? OR (a.kind = ? AND (a.region = '' OR a.region = ?) AND (a.scope_area = '' OR a.scope_area = ANY(?)))",
			NationalCoordinator, DelegatedCoordinator, region, StringArray(areas))
	}
	var users []User
	if err := q.Order("users.email").Find(&users).Error; err != nil {
		return nil, fmt.Errorf("find coordinators of %s: %w", country, err)
	}
	return users, nil
}

// UsersOf lists an authority's users with their roles.
func (s *Store) UsersOf(ctx context.Context, authority uuid.UUID) ([]User, map[uuid.UUID][]UserRole, error) {
	db := s.db.WithContext(ctx)
	var users []User
	if err := db.Where("authority_id = ?", authority).Order("email").Find(&users).Error; err != nil {
		return nil, nil, fmt.Errorf("list users: %w", err)
	}
	var roles []UserRole
	if err := db.Joins("JOIN users u ON u.id = user_roles.user_id").Where("u.authority_id = ?", authority).
		Order("role, area_code").Find(&roles).Error; err != nil {
		return nil, nil, fmt.Errorf("list roles: %w", err)
	}
	byUser := make(map[uuid.UUID][]UserRole, len(users))
	for _, r := range roles {
		byUser[r.UserID] = append(byUser[r.UserID], r)
	}
	return users, byUser, nil
}

// CreateUserWithActivation adds a pending user to an authority with their
// roles and the single-use activation link.
func (s *Store) CreateUserWithActivation(ctx context.Context, u *User, roles []UserRole, activation *OneTimeToken, also Also) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := createUser(tx, u, roles); err != nil {
			return err
		}
		activation.UserID = u.ID
		if err := CreateOneTimeToken(tx, activation); err != nil {
			return err
		}
		return also.run(tx)
	})
}

// UpdateUser changes a user of an authority under a row lock: change
// receives the current user and roles and returns the new ones. A user of
// another authority is not found.
func (s *Store) UpdateUser(ctx context.Context, authority, userID uuid.UUID, change func(u *User, roles []UserRole) ([]UserRole, error)) (User, []UserRole, error) {
	var u User
	var roles []UserRole
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		err := tx.Clauses(lockForUpdate).Take(&u, "id = ? AND authority_id = ?", userID, authority).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("lock user: %w", err)
		}
		if err := tx.Where("user_id = ?", u.ID).Find(&roles).Error; err != nil {
			return fmt.Errorf("load roles: %w", err)
		}
		newRoles, err := change(&u, roles)
		if err != nil {
			return err
		}
		u.UpdatedAt = time.Now().UTC()
		if err := tx.Save(&u).Error; err != nil {
			return fmt.Errorf("save user: %w", err)
		}
		if newRoles != nil {
			if err := tx.Where("user_id = ?", u.ID).Delete(&UserRole{}).Error; err != nil {
				return fmt.Errorf("replace roles: %w", err)
			}
			for i := range newRoles {
				newRoles[i].UserID = u.ID
			}
			if len(newRoles) > 0 {
				if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&newRoles).Error; err != nil {
					return fmt.Errorf("grant roles: %w", err)
				}
			}
			roles = newRoles
		}
		if u.Status == UserDeactivated {
			// A deactivated official's tokens stop working at once.
			if err := tx.Exec("UPDATE sessions SET revoked_at = now() WHERE user_id = ? AND revoked_at IS NULL", u.ID).Error; err != nil {
				return fmt.Errorf("revoke sessions: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return User{}, nil, err
	}
	return u, roles, nil
}

// CreateInvitation stores an invitation; its token reaches the invitee by
// email.
func (s *Store) CreateInvitation(ctx context.Context, inv *Invitation, also Also) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Create(inv).Error; err != nil {
			return fmt.Errorf("create invitation: %w", err)
		}
		return also.run(tx)
	})
}

// InvitationByToken finds a usable invitation.
func (s *Store) InvitationByToken(ctx context.Context, tokenHash []byte, now time.Time) (Invitation, error) {
	var inv Invitation
	err := s.db.WithContext(ctx).Take(&inv, "token_hash = ? AND used_at IS NULL AND expires_at > ?", tokenHash, now).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return Invitation{}, ErrInvitationInvalid
	}
	if err != nil {
		return Invitation{}, fmt.Errorf("find invitation: %w", err)
	}
	return inv, nil
}

// AreaOfficials lists the active officials of an authority who hold one of
// the roles in the area (authority-wide roles count in every area).
func (s *Store) AreaOfficials(ctx context.Context, authority uuid.UUID, area string, roles ...Role) ([]User, error) {
	var users []User
	err := s.db.WithContext(ctx).
		Where("users.authority_id = ? AND users.status = ?", authority, UserActive).
		Where("EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = users.id AND r.role IN ? AND (r.area_code = ? OR r.area_code = ''))", roles, area).
		Order("users.email").Find(&users).Error
	if err != nil {
		return nil, fmt.Errorf("find officials of %s in %s: %w", authority, area, err)
	}
	return users, nil
}
