package personal

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
)

// Signer signs and checks vote links with the service's shared secret.
type Signer struct{ key []byte }

// NewSigner signs with key.
func NewSigner(key []byte) Signer { return Signer{key: key} }

// Sign is the signature of a vote link: one feed, one paper, one
// direction (22 URL-safe characters: 128 bits of HMAC-SHA256).
func (s Signer) Sign(token, id, dir string) string {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte("vote\x00" + token + "\x00" + id + "\x00" + dir))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Valid reports whether sig was made by Sign for these values.
func (s Signer) Valid(token, id, dir, sig string) bool {
	return len(s.key) > 0 && hmac.Equal([]byte(s.Sign(token, id, dir)), []byte(sig))
}
