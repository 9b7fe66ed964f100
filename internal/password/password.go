// Package password hashes and checks officials' passwords with bcrypt, an
// adaptive hash whose cost can rise with hardware.
package password

import (
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// Bounds on a new password: long enough to resist guessing, short enough
// for bcrypt, which reads at most 72 bytes.
const (
	MinLength = 12
	MaxBytes  = 72
)

// ErrWeak is returned for a password outside the bounds.
var ErrWeak = fmt.Errorf("a password must be at least %d characters and at most %d bytes", MinLength, MaxBytes)

// noAccountHash is checked against when an address has no account, so that
// a wrong address costs as much time as a wrong password and tells nothing.
// It is a hash of a fixed phrase at the same cost as real hashes.
const noAccountHash = "$2a$10$8jrhFkaUeOm8D0avvt.1c.DqfdgItRzi30x6WuJ0KY7qbM33EUkYa"

// Check reports whether a new password is acceptable.
func Check(pw string) error {
	if utf8.RuneCountInString(pw) < MinLength || len(pw) > MaxBytes {
		return ErrWeak
	}
	return nil
}

// Hash checks and hashes a new password.
func Hash(pw string) (string, error) {
	if err := Check(pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("hash password: %w", err)
	}
	return string(h), nil
}

// Matches reports whether pw is the password behind hash. An empty hash (an
// account without a password yet, or none at all) never matches, but takes
// as long as one that could.
func Matches(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword([]byte(noAccountHash), []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}
