package password

import (
	"errors"
	"strings"
	"testing"
)

func TestHash_RefusesPasswordsOutsideTheBounds(t *testing.T) {
	for _, pw := range []string{"", "short", strings.Repeat("ä", 37)} {
		if _, err := Hash(pw); !errors.Is(err, ErrWeak) {
			t.Errorf("Hash(%d bytes): %v, want ErrWeak", len(pw), err)
		}
	}
}

func TestMatches_OnlyTheRightPasswordMatches(t *testing.T) {
	hash, err := Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !Matches(hash, "correct horse battery") {
		t.Error("the right password does not match")
	}
	if Matches(hash, "correct horse battery!") {
		t.Error("a wrong password matches")
	}
	if Matches("", "correct horse battery") {
		t.Error("an account without a password matches")
	}
}
