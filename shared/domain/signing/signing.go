// Package signing signs small payloads the server hands out and must get back unchanged,
// such as list cursors (PRODUCT.md §7), with HMAC-SHA256 under the deployment's secret.
package signing

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
)

// MinSecretLen is the shortest secret accepted, in bytes.
const MinSecretLen = 32

// ErrInvalid is returned for a token that was not signed by this key for this purpose,
// or was altered.
var ErrInvalid = errors.New("signing: invalid token")

// ErrWeakSecret is returned by NewKey for a secret shorter than MinSecretLen.
var ErrWeakSecret = errors.New("signing: secret too short")

// Key signs and verifies tokens.
type Key struct {
	secret []byte
}

// NewKey returns a key on secret (the deployment's signing secret).
func NewKey(secret []byte) (*Key, error) {
	if len(secret) < MinSecretLen {
		return nil, ErrWeakSecret
	}
	return &Key{secret: append([]byte(nil), secret...)}, nil
}

var b64 = base64.RawURLEncoding

// Sign returns payload and its MAC as one URL-safe token. purpose binds the token to one
// use and one context (for example "audit-cursor|acme#C001"): a token signed for one
// purpose never verifies for another.
func (k *Key) Sign(purpose string, payload []byte) string {
	return b64.EncodeToString(payload) + "." + b64.EncodeToString(k.mac(purpose, payload))
}

// Verify returns the payload of a token Sign made for purpose, or ErrInvalid.
func (k *Key) Verify(purpose, token string) ([]byte, error) {
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, ErrInvalid
	}
	payload, err := b64.DecodeString(body)
	if err != nil {
		return nil, ErrInvalid
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.mac(purpose, payload)) {
		return nil, ErrInvalid
	}
	return payload, nil
}

func (k *Key) mac(purpose string, payload []byte) []byte {
	m := hmac.New(sha256.New, k.secret)
	// The purpose's length comes first so no purpose/payload split can be shifted.
	var n [8]byte
	for i, l := 0, uint64(len(purpose)); i < 8; i++ {
		n[i] = byte(l >> (56 - 8*i))
	}
	m.Write(n[:])
	m.Write([]byte(purpose))
	m.Write(payload)
	return m.Sum(nil)
}
