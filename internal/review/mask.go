package review

import (
	"encoding/base64"
	"strings"
)

// MaskText masks personal data in text the gateway never screened (report
// text, notes in the audit trail): runs of 7 or more digits (phone, QQ,
// ID-card and bank-card numbers; an ID card's final X counts) keep their
// first 3 and last 2 characters, and e-mail local parts keep their first
// character. Masking is rune for rune, so code-point offsets are unchanged.
func MaskText(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	changed := false
	isDig := func(c rune) bool { return c >= '0' && c <= '9' || c >= '０' && c <= '９' }
	for i := 0; i < len(r); {
		if !isDig(r[i]) {
			i++
			continue
		}
		j := i
		for j < len(r) && (isDig(r[j]) || (r[j] == 'X' || r[j] == 'x') && j > i) {
			j++
		}
		if j-i >= 7 {
			for k := i + 3; k < j-2; k++ {
				r[k] = '*'
			}
			changed = true
		}
		i = j
	}
	for i := range r {
		if r[i] != '@' || i == 0 {
			continue
		}
		k := i - 1
		for k >= 0 && isLocal(r[k]) {
			k--
		}
		for m := k + 2; m < i; m++ {
			r[m] = '*'
			changed = true
		}
	}
	if !changed {
		return s
	}
	return string(r)
}

func isLocal(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._%+-", c)
}

// keyPart encodes an arbitrary id (reporter, tenant, sender) as one KV key
// token: base64url without padding; "=" stands for the empty string (never
// produced by the encoding).
func keyPart(s string) string {
	if s == "" {
		return "="
	}
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}
