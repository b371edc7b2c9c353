package tokens

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// A mailed token is derived, never stored: the code that writes a mail computes it from
// the mail-token secret and the mail's key and nonce, keeps only its hash, and the mailer
// computes it again when it renders the mail. The outbox record, its stream and the
// table's backups therefore hold nothing that opens an account or a document without
// the secret, which only those functions may read (docs/SECURITY.md).

// MinMailSecretLen is the shortest mail-token secret accepted, in bytes.
const MinMailSecretLen = 32

// ErrWeakMailSecret is returned by NewMailKey for a secret shorter than MinMailSecretLen.
var ErrWeakMailSecret = errors.New("tokens: mail-token secret too short")

// MailKey derives the tokens mails carry.
type MailKey struct {
	secret []byte
}

// NewMailKey returns a key on the deployment's mail-token secret.
func NewMailKey(secret []byte) (*MailKey, error) {
	if len(secret) < MinMailSecretLen {
		return nil, ErrWeakMailSecret
	}
	return &MailKey{secret: append([]byte(nil), secret...)}, nil
}

// Token returns the index-th token of the mail keyed mailKey with nonce, for purpose
// (KindActivation, KindRecovery or KindLink). It has the form of New's tokens, and a
// token of one purpose, mail, nonce or index says nothing of another's.
func (k *MailKey) Token(purpose, mailKey, nonce string, index int) string {
	// One sub-key per purpose, so that no input of one purpose collides with another's.
	sub := hmac.New(sha256.New, k.secret)
	sub.Write([]byte("efacture mail token\x00" + purpose))
	m := hmac.New(sha256.New, sub.Sum(nil))
	// Each field is length-prefixed, so no split of the inputs can be shifted.
	for _, f := range []string{mailKey, nonce} {
		m.Write(binary.BigEndian.AppendUint64(nil, uint64(len(f))))
		m.Write([]byte(f))
	}
	m.Write(binary.BigEndian.AppendUint64(nil, uint64(index)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// NewNonce returns a fresh 128-bit nonce for a mail, stored with it: it keeps two
// mails that share a key (a record recreated after its TTL) from sharing tokens, and
// without the secret it yields nothing.
func NewNonce() string {
	b := make([]byte, 16)
	rand.Read(b) // never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}
