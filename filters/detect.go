package filters

import (
	"github.com/modgate/modgate"
)

// Detector kinds (modgate.Match.Subcategory and Term of detector matches).
const (
	KindPhone    = "phone"
	KindLandline = "landline"
	KindQQ       = "qq"
	KindWeChat   = "wechat"
	KindURL      = "url"
	KindEmail    = "email"
	KindIDCard   = "id_card"
	KindBankCard = "bank_card"
)

// Detect finds contacts and personal data (phone, landline, qq, wechat, url,
// email, id_card, bank_card) and appends them to dst as modgate.Match with
// Source=modgate.SourceDetector, Category "contact" or "pii", Subcategory =
// kind, Term = kind, original code-point offsets, Text = original substring
// (masked for personal-data kinds).
func Detect(n *Normalized, dst []modgate.Match) []modgate.Match {
	t := n.Text
	for i := 0; i < len(t); {
		if !isDigit(t[i]) {
			i++
			continue
		}
		j := i
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		if j-i == 11 && t[i] == '1' && t[i+1] >= '3' && (i == 0 || !isAlnum(t[i-1])) && (j == len(t) || !isAlnum(t[j])) {
			s, e := n.Orig(i, j)
			dst = append(dst, modgate.Match{Term: KindPhone, Category: modgate.LabelPII, Subcategory: KindPhone,
				Severity: modgate.SeveritySignal, Start: s, End: e, Text: maskSpan(KindPhone, n.OrigText(s, e)),
				Source: modgate.SourceDetector})
		}
		i = j
	}
	return dst
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
