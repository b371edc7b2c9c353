package password

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// fast keeps most tests quick; one test uses Default.
var fast = Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16}

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerifyRoundTrip(t *testing.T) {
	h := Hasher{Params: fast}
	for _, pw := range []string{"Tr0ub4dour&x", "", "pâte à crêpes ×15 ✓", strings.Repeat("x", 256)} {
		phc, err := h.Hash(pw)
		if err != nil {
			t.Fatalf("Hash: %v", err)
		}
		if m := phcPattern.FindStringSubmatch(phc); m == nil || m[1] != "64" || m[2] != "1" || m[3] != "1" {
			t.Fatalf("got %q, want an argon2id PHC string with m=64,t=1,p=1", phc)
		}
		ok, rehash, err := h.Verify(phc, pw)
		if err != nil || !ok || rehash {
			t.Errorf("Verify(right password) = %v, %v, %v; want true, false, nil", ok, rehash, err)
		}
		ok, rehash, err = h.Verify(phc, pw+"x")
		if err != nil || ok || rehash {
			t.Errorf("Verify(wrong password) = %v, %v, %v; want false, false, nil", ok, rehash, err)
		}
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := Hasher{Params: fast}
	a, _ := h.Hash("same")
	b, _ := h.Hash("same")
	if a == b {
		t.Errorf("got the same hash twice (%q), want a fresh salt each time", a)
	}
}

func TestDefaultParams(t *testing.T) {
	var h Hasher // zero value means Default
	phc, err := h.Hash("Tr0ub4dour&x")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(phc, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("got %q, want the m=19456,t=2,p=1 prefix", phc)
	}
	ok, rehash, err := Hasher{Params: Default}.Verify(phc, "Tr0ub4dour&x")
	if err != nil || !ok || rehash {
		t.Errorf("Verify = %v, %v, %v; want true, false, nil", ok, rehash, err)
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	old := Hasher{Params: fast}
	phc, err := old.Hash("Tr0ub4dour&x")
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string]Params{
		"memory":  {Memory: 128, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 16},
		"time":    {Memory: 64, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16},
		"threads": {Memory: 64, Time: 1, Threads: 2, KeyLen: 32, SaltLen: 16},
		"key":     {Memory: 64, Time: 1, Threads: 1, KeyLen: 24, SaltLen: 16},
		"salt":    {Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 24},
	}
	for name, p := range changes {
		t.Run(name, func(t *testing.T) {
			ok, rehash, err := Hasher{Params: p}.Verify(phc, "Tr0ub4dour&x")
			if err != nil || !ok || !rehash {
				t.Errorf("got %v, %v, %v; want true, true, nil", ok, rehash, err)
			}
			ok, rehash, _ = Hasher{Params: p}.Verify(phc, "wrong")
			if ok || rehash {
				t.Errorf("wrong password: got %v, %v; want false, false", ok, rehash)
			}
		})
	}
}

func TestVerifyTampered(t *testing.T) {
	h := Hasher{Params: fast}
	phc, err := h.Hash("Tr0ub4dour&x")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(phc, "$")
	with := func(i int, v string) string {
		p := append([]string(nil), parts...)
		p[i] = v
		return strings.Join(p, "$")
	}
	tests := []struct {
		name string
		phc  string
		want error
	}{
		{"empty", "", ErrInvalidHash},
		{"argon2i", with(1, "argon2i"), ErrInvalidHash},
		{"version 16", with(2, "v=16"), ErrIncompatibleVersion},
		{"version not a number", with(2, "v=x"), ErrInvalidHash},
		{"params reordered", with(3, "t=1,m=64,p=1"), ErrInvalidHash},
		{"params missing", with(3, "m=64,t=1"), ErrInvalidHash},
		{"zero time", with(3, "m=64,t=0,p=1"), ErrInvalidHash},
		{"huge memory", with(3, "m=4194304,t=1,p=1"), ErrInvalidHash},
		{"threads overflow", with(3, "m=64,t=1,p=256"), ErrInvalidHash},
		{"salt not base64", with(4, "!!!!"), ErrInvalidHash},
		{"padded salt", with(4, parts[4]+"=="), ErrInvalidHash},
		{"short salt", with(4, "AAAA"), ErrInvalidHash},
		{"short hash", with(5, "AAAA"), ErrInvalidHash},
		{"extra field", phc + "$x", ErrInvalidHash},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := h.Verify(tt.phc, "Tr0ub4dour&x")
			if !errors.Is(err, tt.want) || ok {
				t.Errorf("got %v, %v; want false, %v", ok, err, tt.want)
			}
		})
	}
	t.Run("flipped hash byte", func(t *testing.T) {
		key := []byte(parts[5])
		if key[0] == 'A' {
			key[0] = 'B'
		} else {
			key[0] = 'A'
		}
		ok, _, err := h.Verify(with(5, string(key)), "Tr0ub4dour&x")
		if ok || err != nil {
			t.Errorf("got %v, %v; want false, nil", ok, err)
		}
	})
}

func TestHashRejectsBadParams(t *testing.T) {
	_, err := Hasher{Params: Params{Memory: 64, Time: 1, Threads: 1, KeyLen: 32, SaltLen: 4}}.Hash("x")
	if !errors.Is(err, ErrInvalidHash) {
		t.Errorf("got %v, want ErrInvalidHash for a 4-byte salt", err)
	}
}

func TestVerifyDummy(t *testing.T) {
	h := Hasher{Params: Params{Memory: 96, Time: 3, Threads: 1, KeyLen: 32, SaltLen: 16}}
	h.VerifyDummy("Tr0ub4dour&x")
	v, ok := dummies.Load(h.Params)
	if !ok {
		t.Fatalf("got no dummy hash for %+v, want one", h.Params)
	}
	first := v.(*dummy).phc
	// Same parameters as the Hasher means the same argon2 work as a real Verify.
	p, _, _, err := decode(first)
	if err != nil || p != h.Params {
		t.Fatalf("got dummy params %+v (%v), want %+v", p, err, h.Params)
	}
	h.VerifyDummy("other")
	if v, _ := dummies.Load(h.Params); v.(*dummy).phc != first {
		t.Errorf("dummy hash changed between calls, want it computed once")
	}
	other := Hasher{Params: fast}
	other.VerifyDummy("x")
	if v, ok := dummies.Load(fast); !ok || v.(*dummy).phc == first {
		t.Errorf("got no separate dummy for %+v, want one per parameter set", fast)
	}
}

func BenchmarkHash(b *testing.B) {
	h := Hasher{Params: Default}
	for b.Loop() {
		if _, err := h.Hash("Tr0ub4dour&x"); err != nil {
			b.Fatal(err)
		}
	}
}
