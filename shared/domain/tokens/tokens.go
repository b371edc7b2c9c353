// Package tokens makes the random secrets mailed or set as cookies, and the hashes that
// are the only form ever stored.
package tokens

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// New returns a 128-bit random token (URL-safe, 22 characters) and its stored hash.
func New() (token, hash string) {
	b := make([]byte, 16)
	rand.Read(b) // never fails on supported platforms
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token)
}

// Hash is the hex SHA-256 of a token, the key it is stored under.
func Hash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// WellFormed reports whether s can be a token New made, so stores are not asked about
// garbage and no oversized input reaches a hash.
func WellFormed(s string) bool {
	if len(s) != 22 {
		return false
	}
	// The decoder skips CR and LF, so the alphabet is checked byte by byte first.
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	_, err := base64.RawURLEncoding.Strict().DecodeString(s)
	return err == nil
}

// Kinds of stored token.
const (
	KindActivation = "activation"
	KindRecovery   = "recovery"
	KindLink       = "link"
)

// Record is a stored token: only its hash, what it grants and until when.
type Record struct {
	Hash           string
	Kind           string
	Space          string
	Email          string
	Identifier     string // activation: the one account it sets; link: the recipient
	CustomerNumber string
	DocumentSK     string // link: the document's sort key
	ExpiresAt      time.Time
}
