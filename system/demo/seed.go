package demo

import (
	"context"
	"fmt"

	"github.com/openimi/openimi/internal/password"
	"github.com/openimi/openimi/models"
)

// Password is every demo official's password. It is published in the
// README: demo data belongs on development and demonstration machines only.
const Password = "openimi-demo-2010"

// Seeded is what Seed created.
type Seeded struct {
	Authorities  int
	Coordinators int
	Officials    []Official
}

// Seed generates n authorities with their coordinators and demo officials
// and writes them into an empty directory. A directory that has any
// authority is left as it is, with models.ErrDirectoryNotEmpty.
func Seed(ctx context.Context, store *models.Store, comps Competences, n int) (Seeded, error) {
	dir, err := Generate(n, comps)
	if err != nil {
		return Seeded{}, err
	}
	// One hash for all: bcrypt is slow by design, and the password is
	// public anyway.
	hash, err := password.Hash(Password)
	if err != nil {
		return Seeded{}, fmt.Errorf("demo password: %w", err)
	}
	if err := store.BulkCreateDirectory(ctx, dir.Batch(hash)); err != nil {
		return Seeded{}, fmt.Errorf("seed the demo directory: %w", err)
	}
	return Seeded{Authorities: len(dir.Authorities), Coordinators: len(dir.Coordinators), Officials: dir.Officials}, nil
}

// Batch is the directory as one bulk load, the officials with the given
// password hash.
func (d Directory) Batch(passwordHash string) models.DirectoryBatch {
	b := models.DirectoryBatch{
		Authorities: make([]models.Authority, 0, len(d.Coordinators)+len(d.Authorities)),
		Users:       make([]models.User, 0, len(d.Officials)),
	}
	b.Authorities = append(b.Authorities, d.Coordinators...)
	b.Authorities = append(b.Authorities, d.Authorities...)
	for _, o := range d.Officials {
		u := o.User
		u.PasswordHash = passwordHash
		b.Users = append(b.Users, u)
		b.Roles = append(b.Roles, o.Roles...)
	}
	return b
}
