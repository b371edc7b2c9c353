package staff

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// TOTP parameters of RFC 6238 as authenticator apps default to them; the enrolment URI
// states them anyway.
const (
	TOTPPeriod = 30 * time.Second
	TOTPDigits = 6
	// TOTPSkew is how many steps either side of now a code is accepted for: a phone's
	// clock a little off, or a code typed as it rolled over.
	TOTPSkew = 1
	// secretBytes is RFC 4226's recommended 160-bit shared secret.
	secretBytes = 20
)

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a random TOTP secret, base32 without padding as apps take it.
func NewSecret() string {
	b := make([]byte, secretBytes)
	rand.Read(b) // never fails on supported platforms
	return b32.EncodeToString(b)
}

// DecodeSecret reads a base32 secret, tolerating lower case, spaces and padding.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.ReplaceAll(strings.TrimRight(s, "="), " ", ""))
	b, err := b32.DecodeString(s)
	if err != nil || len(b) < 10 {
		return nil, fmt.Errorf("totp secret: not base32 of at least 80 bits")
	}
	return b, nil
}

// Step is the RFC 6238 time step of t.
func Step(t time.Time) int64 { return t.Unix() / int64(TOTPPeriod/time.Second) }

// Code is the HOTP value (RFC 4226) of key at counter step, in digits digits, with
// HMAC-SHA-1 as RFC 6238's default.
func Code(key []byte, step int64, digits int) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, key)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// MatchStep returns the step within TOTPSkew of now whose code is code, and whether one
// is. Steps at or before usedStep are never matched: a code is accepted once.
func MatchStep(key []byte, code string, now time.Time, usedStep int64) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != TOTPDigits {
		return 0, false
	}
	cur := Step(now)
	found, ok := int64(0), false
	// Every candidate is computed and compared in constant time, whatever matches.
	for s := cur - TOTPSkew; s <= cur+TOTPSkew; s++ {
		hit := subtle.ConstantTimeCompare([]byte(Code(key, s, TOTPDigits)), []byte(code)) == 1
		if hit && s > usedStep && !ok {
			found, ok = s, true
		}
	}
	return found, ok
}

// EnrolmentURI is the otpauth:// URI an authenticator app enrols from (its QR code).
func EnrolmentURI(space, identifier, secret string) string {
	label := url.PathEscape("efacture:" + space + ":" + identifier)
	q := "secret=" + secret + "&issuer=efacture&algorithm=SHA1&digits=6&period=30"
	return "otpauth://totp/" + label + "?" + q
}
