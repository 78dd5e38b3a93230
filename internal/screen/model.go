package screen

import (
	"fmt"
	"strings"

	"github.com/modgate/modgate"
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
