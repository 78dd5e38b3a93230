package screen

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/filters"
	"github.com/modgate/modgate/models"
)

// Extra features a model may ask for (models.Features.Extras). They are
// computed here from what the filter found, the same way at training time
// (modgate train calls ModelExtras too) and at screening time.
//
//	detector.<kind>   1 when the contact/personal-data detector found a
//	                  <kind> (phone, landline, qq, wechat, url, email,
//	                  id_card, bank_card), else 0
const extraDetector = "detector."

var detectorExtraKinds = map[string]bool{
	"phone": true, "landline": true, "qq": true, "wechat": true, "url": true,
	"email": true, "id_card": true, "bank_card": true,
}

// CheckExtras reports an error naming the first extra feature this gateway
// cannot compute, so a model trained by a newer modgate is refused at load
// instead of scoring with a feature silently stuck at zero.
func CheckExtras(names []string) error {
	for _, n := range names {
		kind, ok := strings.CutPrefix(n, extraDetector)
		if !ok || !detectorExtraKinds[kind] {
			return fmt.Errorf("extra feature %q is not one this gateway computes (detector.<kind> with kind one of phone, landline, qq, wechat, url, email, id_card, bank_card)", n)
		}
	}
	return nil
}

// ModelExtras fills out[i] with the value of extra feature names[i] for the
// findings f. Names must have passed CheckExtras; unknown ones get 0.
func ModelExtras(names []string, f *modgate.Findings, out []float32) {
	for i, n := range names {
		out[i] = 0
		kind, ok := strings.CutPrefix(n, extraDetector)
		if !ok {
			continue
		}
		for j := range f.Matches {
			m := &f.Matches[j]
			if m.Source == modgate.SourceDetector && m.Subcategory == kind {
				out[i] = 1
				break
			}
		}
	}
}

// normalizerProbe exercises every folding the normaliser does (width,
// case, traditional→simplified, styled letters and digits, noise between
// characters, look-alikes, numerals in contacts); its folded form
// fingerprints the normaliser.
var normalizerProbe = []string{
	"ＡＢＣ１２３ａｂｃ", "這個東西很貴，還錢！", "𝐀𝐁𝐂 ⑴⑵⑶ ①②③ ㈠㈡", "加 微 信 看 看", "加-微-信", "v❤x: abc_123",
	"Ⓕⓤc⒦ ｆｕｃｋ", "五星紅旗 5星红旗", "一三八零零一三八零零零", "QQ：四九三八二七一六五", "ℂℍ𝕀ℕ𝔸 шоп",
	"😀🈲️💰 ¥１００", "零售 0售", "http://ｅｘａｍｐｌｅ．ｃｏｍ", "\u200b隐\u200b藏\u200d字", "ﾃｽﾄ ｶﾀｶﾅ",
	"加丨微丿信丶号亅", "幺洞两拐勾", "加威 加扣 绿泡泡", "ｄｋｆｐ bjl",
}

// NormalizerFingerprint identifies the text normalisation of this build.
// modgate train stores it in a model's training metadata; a model trained
// under another normaliser still loads (refusing it would stop a gateway
// after every normaliser fix) but is reported as stale: it sees text folded
// differently from what it learned on.
func NormalizerFingerprint() string {
	h := sha256.New()
	for _, p := range normalizerProbe {
		h.Write([]byte(filters.NormalizeString(p)))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// staleModels names the models whose training metadata records another
// normaliser than this build's.
func staleModels(ms *models.Set) []string {
	fp := NormalizerFingerprint()
	var out []string
	for _, m := range ms.Models() {
		var meta struct {
			Normalizer string `json:"normalizer"`
		}
		if len(m.Training) > 0 && json.Unmarshal(m.Training, &meta) == nil && meta.Normalizer != "" && meta.Normalizer != fp {
			out = append(out, m.Label)
		}
	}
	return out
}
