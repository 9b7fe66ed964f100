package password

import "testing"

// BenchmarkMatches is the cost of one sign-in: bcrypt at the default cost
// is slow by design, and on a small machine it is the most expensive thing
// an API call does with the CPU.
func BenchmarkMatches(b *testing.B) {
	hash, err := Hash("openimi-demo-2010")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !Matches(hash, "openimi-demo-2010") {
			b.Fatal("the password does not match its hash")
		}
	}
}
