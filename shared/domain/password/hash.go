package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters and sizes.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32 // bytes
	SaltLen uint32 // bytes
}

// Default is OWASP's argon2id baseline (19 MiB, two passes, one thread).
var Default = Params{Memory: 19 * 1024, Time: 2, Threads: 1, KeyLen: 32, SaltLen: 16}

// Bounds a stored hash must respect; they keep a corrupted or forged record from making a
// verification allocate gigabytes or spin for minutes.
const (
	maxMemory  = 1 << 20 // 1 GiB
	maxTime    = 64
	minSaltLen = 8
	minKeyLen  = 16
	maxKeyLen  = 1024
)

var (
	// ErrInvalidHash is returned for a stored hash that is not a well-formed argon2id PHC
	// string within sane bounds.
	ErrInvalidHash = errors.New("password: invalid argon2id hash")
	// ErrIncompatibleVersion is returned for an argon2 version other than 19.
	ErrIncompatibleVersion = errors.New("password: unsupported argon2 version")
)

// Hasher hashes and verifies passwords with argon2id. The zero Hasher uses Default.
type Hasher struct {
	Params Params
}

func (h Hasher) params() Params {
	if h.Params == (Params{}) {
		return Default
	}
	return h.Params
}

var b64 = base64.RawStdEncoding

// Hash returns the PHC string of pw with a fresh random salt, for example
// "$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>" (unpadded standard base64).
func (h Hasher) Hash(pw string) (string, error) {
	p := h.params()
	if err := p.validate(); err != nil {
		return "", err
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: salt: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// Verify reports whether pw matches the PHC string phc, comparing in constant time.
// needsRehash is true when pw matches but phc was made with other parameters than the
// Hasher's, so the caller should store a fresh Hash. err is ErrInvalidHash or
// ErrIncompatibleVersion for an unusable phc.
func (h Hasher) Verify(phc, pw string) (ok bool, needsRehash bool, err error) {
	p, salt, want, err := decode(phc)
	if err != nil {
		return false, false, err
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return false, false, nil
	}
	return true, p != h.params(), nil
}

var dummies sync.Map // Params → *dummy

type dummy struct {
	once sync.Once
	phc  string
	err  error
}

// VerifyDummy spends what Verify would on a hash made with the Hasher's parameters, so
// a login for an unknown identifier takes as long as one for a known identifier. The dummy
// hash is computed once per parameter set, on first use.
func (h Hasher) VerifyDummy(pw string) {
	v, _ := dummies.LoadOrStore(h.params(), &dummy{})
	d := v.(*dummy)
	d.once.Do(func() {
		d.phc, d.err = h.Hash("dummy password that matches no account")
	})
	if d.err != nil {
		return
	}
	_, _, _ = h.Verify(d.phc, pw)
}

func (p Params) validate() error {
	switch {
	case p.Threads < 1:
		return fmt.Errorf("%w: p=%d", ErrInvalidHash, p.Threads)
	case p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory:
		return fmt.Errorf("%w: m=%d", ErrInvalidHash, p.Memory)
	case p.Time < 1 || p.Time > maxTime:
		return fmt.Errorf("%w: t=%d", ErrInvalidHash, p.Time)
	case p.SaltLen < minSaltLen:
		return fmt.Errorf("%w: salt of %d bytes", ErrInvalidHash, p.SaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("%w: key of %d bytes", ErrInvalidHash, p.KeyLen)
	}
	return nil
}

// decode parses "$argon2id$v=19$m=…,t=…,p=…$salt$hash" strictly.
func decode(phc string) (p Params, salt, key []byte, err error) {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, ErrInvalidHash
	}
	version, ok := strings.CutPrefix(parts[2], "v=")
	if !ok {
		return p, nil, nil, ErrInvalidHash
	}
	if v, err := strconv.Atoi(version); err != nil {
		return p, nil, nil, ErrInvalidHash
	} else if v != argon2.Version {
		return p, nil, nil, ErrIncompatibleVersion
	}
	fields := strings.Split(parts[3], ",")
	if len(fields) != 3 {
		return p, nil, nil, ErrInvalidHash
	}
	var vals [3]uint64
	for i, name := range []string{"m=", "t=", "p="} {
		s, ok := strings.CutPrefix(fields[i], name)
		if !ok {
			return p, nil, nil, ErrInvalidHash
		}
		bits := 32
		if name == "p=" {
			bits = 8
		}
		if vals[i], err = strconv.ParseUint(s, 10, bits); err != nil {
			return p, nil, nil, ErrInvalidHash
		}
	}
	if salt, err = b64.Strict().DecodeString(parts[4]); err != nil {
		return p, nil, nil, ErrInvalidHash
	}
	if key, err = b64.Strict().DecodeString(parts[5]); err != nil {
		return p, nil, nil, ErrInvalidHash
	}
	p = Params{
		Memory:  uint32(vals[0]),
		Time:    uint32(vals[1]),
		Threads: uint8(vals[2]),
		KeyLen:  uint32(len(key)),
		SaltLen: uint32(len(salt)),
	}
	if err := p.validate(); err != nil {
		return Params{}, nil, nil, err
	}
	return p, salt, key, nil
}
