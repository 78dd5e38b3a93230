package filters

import (
	"strings"
	"unicode"
	"unicode/utf8"

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
	// KindAccount is an account on another app or network (抖音号, Telegram
	// @handle, Line ID, 陌陌号, WhatsApp, a QQ/钉钉 group number is KindQQ):
	// somewhere a message moves people to, off the group.
	KindAccount = "account"
	// Commerce signals (category ads): a price or discount (99元, 8折,
	// ¥199, 满59), a 【brand】 header opening the message, an address line
	// (地址：…). Customers mention prices too, so policies count them only
	// next to a seller's other signals.
	KindPrice   = "price"
	KindHeader  = "header"
	KindAddress = "address"
	// KindLotteryTip is a 六合彩-style betting tip (category gambling): a
	// list of zodiac animals with a draw number or tip jargon ("xxx期：狗
	// 鸡羊虎（防）", "主…防…或包龙猴鼠狗"). Each word of it is ordinary; the
	// shape is not.
	KindLotteryTip = "lottery_tip"
	// KindSpread is the policies' name (input.detectors.spread_contact)
	// for a contact whose match has Variant "spread": a phone, QQ, WeChat
	// id or account written with a space or a symbol between most of its
	// characters ("h t 6 6 9 9"). Nobody types a number they want read that
	// way except to get it past a filter.
	KindSpread = "spread_contact"
)

// kindInfo gives the category and severity of a detector kind. A mobile
// number is personal data (masked) and also a contact; policies know both.
func kindInfo(kind string) (category string, severity int) {
	switch kind {
	case KindPrice, KindHeader, KindAddress:
		return modgate.LabelAds, modgate.SeveritySignal
	case KindPhone:
		return modgate.LabelPII, modgate.SeveritySignal
	case KindIDCard, KindBankCard:
		return modgate.LabelPII, modgate.SeverityReview
	case KindLotteryTip:
		return modgate.LabelGambling, modgate.SeverityReview
	case KindGroupAttack:
		return modgate.LabelAbuse, modgate.SeverityReview
	}
	return modgate.LabelContact, modgate.SeveritySignal
}

// span is a detector hit as a byte range of the normalised text.
type span struct {
	a, b int
	kind string
}

// Detect finds contacts and personal data (phone, landline, qq, wechat, url,
// email, id_card, bank_card) and appends them to dst as modgate.Match with
// Source=modgate.SourceDetector, Category "contact" or "pii", Subcategory =
// kind, Term = kind, original code-point offsets, Text = original substring
// (masked for personal-data kinds and e-mail). The appended matches are
// sorted by Start and do not overlap.
func Detect(n *Normalized, dst []modgate.Match) []modgate.Match {
	t := n.Text
	var buf [8]span
	hits := buf[:0]
	hits = detectLinks(t, hits)
	hits = detectSpelledDomains(t, hits)
	hits = detectNumbers(t, hits)
	if strings.Contains(t, "xxx") { // the normaliser folds other runs to one x
		hits = detectMaskedNumbers(t, hits)
	}
	hits = detectCued(t, hits)
	hits = detectLexiconCued(n, dst, hits)
	hits = detectCommerce(n, hits)
	hits = detectLotteryTip(t, hits)
	hits = detectGroupAttack(n, dst, hits)
	base := len(dst)
	for _, h := range hits {
		s, e := n.Orig(h.a, h.b)
		if s >= e {
			continue
		}
		cat, sev := kindInfo(h.kind)
		orig := n.OrigText(s, e)
		text := orig
		if masked(h.kind) {
			text = maskSpan(h.kind, text)
		}
		m := modgate.Match{Term: h.kind, Category: cat, Subcategory: h.kind,
			Severity: sev, Start: s, End: e, Text: text, Source: modgate.SourceDetector}
		if spread(h.kind, orig) {
			m.Variant = modgate.VariantSpread
		}
		dst = append(dst, m)
	}
	// Insertion sort: a handful of hits at most.
	for i := base + 1; i < len(dst); i++ {
		for j := i; j > base && dst[j].Start < dst[j-1].Start; j-- {
			dst[j], dst[j-1] = dst[j-1], dst[j]
		}
	}
	return dst
}

// spread reports a contact hit whose original text has a separator (a
// space, a symbol, an emoji) between most of its characters.
func spread(kind, orig string) bool {
	switch kind {
	case KindPhone, KindQQ, KindWeChat, KindAccount:
	default:
		return false
	}
	chars, seps := 0, 0
	for _, r := range orig {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '_' || r == '-' {
			chars++
		} else {
			seps++
		}
	}
	return chars >= 5 && seps >= chars/2+1
}

func overlaps(hits []span, a, b int) bool {
	for _, h := range hits {
		if a < h.b && h.a < b {
			return true
		}
	}
	return false
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isLower(c byte) bool { return 'a' <= c && c <= 'z' }
func isAlnum(c byte) bool {
	return isDigit(c) || isLower(c) || 'A' <= c && c <= 'Z'
}

// ---- URLs, bare domains, e-mail ----

// tlds are the top-level domains a bare domain must end with; short-link
// hosts (t.cn, dwz.cn, url.cn, bit.ly, suo.im) are covered by them.
var tlds = map[string]bool{}

func init() {
	for _, s := range strings.Fields(`com cn net org edu gov info biz io co me tv cc ly im
		top xyz vip club site online shop store ltd wang ren ink link live app dev
		mobi pro asia tech fun icu work red kim cloud space website win bid
		help cyou buzz life love plus cfd sbs fit
		hk tw mo jp kr us uk ru de fr sg my la to ws gl gd nu su`) {
		tlds[s] = true
	}
}

func isHostByte(c byte) bool { return isDigit(c) || isLower(c) || c == '-' || c == '.' }
func isLocalByte(c byte) bool {
	return isDigit(c) || isLower(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}
func isURLByte(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
}

// hostEnd returns the end of a host name starting at i and whether it ends
// in a known TLD with non-empty labels.
func hostEnd(t string, i int) (int, bool) {
	j := i
	for j < len(t) && isHostByte(t[j]) {
		j++
	}
	for j > i && (t[j-1] == '.' || t[j-1] == '-') {
		j--
	}
	host := t[i:j]
	dot := strings.LastIndexByte(host, '.')
	if dot <= 0 || strings.Contains(host, "..") || host[0] == '.' || host[0] == '-' {
		return j, false
	}
	return j, tlds[host[dot+1:]]
}

// dotWords stand for the dot of a domain written to dodge link filters:
// "abc 点 com", "abc。com", "abc . com", "abc dot com", "abc(.)com".
var dotWords = []string{"点", "。", " . ", " .", ". ", " dot ", "(.)", "[.]", "（.）"}

// detectSpelledDomains finds domains whose dot is spelled out or padded
// (jf-shop . vip, abc-kj点vip). Only a known TLD right after the dot
// counts, so "三点com" or "a . b" stay text.
func detectSpelledDomains(t string, hits []span) []span {
	letters := false
	for i := 0; i < len(t); i++ {
		if isLower(t[i]) {
			letters = true
			break
		}
	}
	if !letters {
		return hits // no TLD without letters
	}
	for _, d := range dotWords {
		for off := 0; off < len(t); {
			k := strings.Index(t[off:], d)
			if k < 0 {
				break
			}
			p := off + k
			off = p + len(d)
			// The label before: host bytes right before the separator.
			a := p
			for a > 0 && (isDigit(t[a-1]) || isLower(t[a-1]) || t[a-1] == '-' || t[a-1] == '.') {
				a--
			}
			for a < p && (t[a] == '-' || t[a] == '.') {
				a++
			}
			if p-a == 1 {
				a = spelledBack(t, a)
			}
			if p-a < 2 {
				continue
			}
			// The TLD after.
			b := p + len(d)
			for b < len(t) && t[b] == ' ' {
				b++
			}
			e := b
			for e < len(t) && isLower(t[e]) {
				e++
			}
			if e-b == 1 {
				e = spelledTLD(t, b)
			}
			if e == b || !tldSpelled(t[b:e]) || e < len(t) && isDigit(t[e]) {
				continue
			}
			if e < len(t) && t[e] == '/' {
				for e < len(t) && isURLByte(t[e]) {
					e++
				}
				e = trimURL(t, a, e)
			}
			if !overlaps(hits, a, e) {
				hits = append(hits, span{a, e, KindURL})
			}
		}
	}
	return hits
}

// Domains spelled letter by letter around the dot (d s 点 v i p, hsy-cj 点
// c n): the normaliser keeps a space between single Latin letters, so the
// host's last label and the TLD may be runs of "x y z". spelledBack extends
// a one-letter label at t[a] backwards over such a run; spelledTLD reads a
// TLD starting with a lone letter at t[b] and returns its end.
func spelledBack(t string, a int) int {
	for a >= 2 && t[a-1] == ' ' && isLower(t[a-2]) && (a < 3 || !isLower(t[a-3])) {
		a -= 2
	}
	return a
}

func spelledTLD(t string, b int) int {
	e := b + 1
	for n := 1; n < 6 && e+1 < len(t) && t[e] == ' ' && isLower(t[e+1]) && (e+2 == len(t) || !isLower(t[e+2])); n++ {
		e += 2
	}
	return e
}

// tldSpelled reports whether s, with single spaces between its letters
// dropped, is a known TLD.
func tldSpelled(s string) bool {
	if strings.IndexByte(s, ' ') < 0 {
		return tlds[s]
	}
	if len(s) > 11 {
		return false
	}
	var buf [6]byte
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] != ' ' {
			buf[n] = s[i]
			n++
		}
	}
	return tlds[string(buf[:n])]
}

func detectLinks(t string, hits []span) []span {
	// Every e-mail, URL and domain has a dot; most chat messages do not.
	if strings.IndexByte(t, '.') < 0 {
		return hits
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c >= 0x80 {
			continue
		}
		switch {
		case c == '@':
			a := i
			for a > 0 && isLocalByte(t[a-1]) {
				a--
			}
			for a < i && (t[a] == '.' || t[a] == '-') {
				a++
			}
			if a == i {
				continue
			}
			b, ok := hostEnd(t, i+1)
			if !ok || overlaps(hits, a, b) {
				continue
			}
			hits = append(hits, span{a, b, KindEmail})
			i = b - 1
		case c == 'h' && (strings.HasPrefix(t[i:], "http://") || strings.HasPrefix(t[i:], "https://")):
			if i > 0 && isAlnum(t[i-1]) {
				continue
			}
			b := i + strings.IndexByte(t[i:], ':') + 3
			if b >= len(t) || !isAlnum(t[b]) {
				continue
			}
			for b < len(t) && isURLByte(t[b]) {
				b++
			}
			b = trimURL(t, i, b)
			hits = append(hits, span{i, b, KindURL})
			i = b - 1
		case isAlnum(c) && (i == 0 || !isHostByte(t[i-1]) && t[i-1] != '@' && t[i-1] != '/' && t[i-1] != '_'):
			// A bare domain starts a host-name token.
			j, ok := hostEnd(t, i)
			if !ok || j < len(t) && (t[j] == '@' || t[j] == '_') {
				// Not a domain, or an e-mail local part (handled at '@').
				if j > i {
					i = j - 1
				}
				continue
			}
			b := j
			if b < len(t) && (t[b] == '/' || t[b] == ':' || t[b] == '?') {
				for b < len(t) && isURLByte(t[b]) {
					b++
				}
				b = trimURL(t, i, b)
			}
			if !overlaps(hits, i, b) {
				hits = append(hits, span{i, b, KindURL})
			}
			i = b - 1
		}
	}
	return hits
}

// trimURL drops trailing sentence punctuation from a URL candidate.
func trimURL(t string, a, b int) int {
	for b > a && strings.IndexByte(".,;:!?)'", t[b-1]) >= 0 {
		b--
	}
	return b
}

// ---- numbers: mobile, landline, resident ID, bank card ----

// group is a run of digits inside a digit chunk.
type group struct{ a, b int }

const maxGroups = 12

func isNumSep(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == ',' || c == '_' || c == ')'
}

func detectNumbers(t string, hits []span) []span {
	var gbuf [maxGroups]group
	var dbuf [24]byte
	for i := 0; i < len(t); i++ {
		if !isDigit(t[i]) {
			continue
		}
		// A chunk: digit groups joined by single separators.
		gs := gbuf[:0]
		j := i
		for {
			a := j
			for j < len(t) && isDigit(t[j]) {
				j++
			}
			if len(gs) < maxGroups {
				gs = append(gs, group{a, j})
			}
			if j+1 < len(t) && isNumSep(t[j]) && isDigit(t[j+1]) {
				j++
				continue
			}
			break
		}
		// Try the longest run of groups first, left to right.
		for ga := 0; ga < len(gs); {
			found := false
			for gb := len(gs) - 1; gb >= ga; gb-- {
				d := dbuf[:0]
				over := false
				for _, g := range gs[ga : gb+1] {
					if len(d)+g.b-g.a > len(dbuf)-1 {
						over = true
						break
					}
					d = append(d, t[g.a:g.b]...)
				}
				if over {
					continue
				}
				a, b := gs[ga].a, gs[gb].b
				if thousands(t, gs[ga:gb+1]) {
					continue // 13,800,138,000 is an amount, not a phone
				}
				x := b < len(t) && t[b] == 'x' && (b+1 == len(t) || !isAlnum(t[b+1]))
				kind := classifyDigits(d, x)
				if kind == "" {
					continue
				}
				if kind == KindIDCard && len(d) == 17 {
					b++
				}
				if a > 0 && t[a-1] == '+' && d[0] == '8' {
					a--
				}
				if !overlaps(hits, a, b) {
					hits = append(hits, span{a, b, kind})
				}
				ga = gb + 1
				found = true
				break
			}
			if !found {
				ga++
			}
		}
		i = j
	}
	return hits
}

// detectMaskedNumbers finds numbers whose digits were masked as x before
// the text reached the gateway (operators and exported corpora do this:
// "电话：xxxxxxxxxxx", "TEL：xxx xxx xxxxx"): the shape still says what they
// were. Eleven x is a mobile number; 7-8 or 10-12 x after a telephone cue a
// landline; 16-19 x next to a bank's name a bank card. A run that touches
// another Latin letter (wxid, box) is a word, not a number.
func detectMaskedNumbers(t string, hits []span) []span {
	for i := 0; i < len(t); i++ {
		if t[i] != 'x' {
			continue
		}
		a, j, n := i, i, 0
		for {
			k := j
			for k < len(t) && t[k] == 'x' {
				k++
			}
			n += k - j
			j = k
			if j+1 < len(t) && (t[j] == ' ' || t[j] == '-' || t[j] == '.' || t[j] == '*') && t[j+1] == 'x' {
				j++
				continue
			}
			break
		}
		i = j
		if a > 0 && isLower(t[a-1]) || j < len(t) && isLower(t[j]) {
			continue
		}
		kind := ""
		switch {
		case n == 11:
			kind = KindPhone
		case n >= 7 && n <= 12 && phoneCueBefore(t, a):
			kind = KindLandline
		case n >= 16 && n <= 19 && bankNear(t, a, j):
			kind = KindBankCard
		}
		if kind != "" && !overlaps(hits, a, j) {
			hits = append(hits, span{a, j, kind})
		}
	}
	return hits
}

// phoneCues say that the number after them is a telephone number.
var phoneCues = []string{"电话", "热线", "手机", "tel", "联系", "咨询", "预约", "预定", "订购", "致电", "拨打", "座机", "号码"}

// phoneCueBefore reports a telephone cue within a few characters before
// byte a of t.
func phoneCueBefore(t string, a int) bool {
	w := t[max(0, a-15):a]
	for _, c := range phoneCues {
		if strings.Contains(w, c) {
			return true
		}
	}
	return false
}

// bankWords name a bank or an account next to a card number.
var bankWords = []string{"银行", "工行", "建行", "农行", "中行", "交行", "招行", "邮政", "信用社", "农商", "卡号", "账号", "帐号", "户名"}

// bankNear reports a bank's name or an account word within a few
// characters around t[a:b].
func bankNear(t string, a, b int) bool {
	w := t[max(0, a-24):min(len(t), b+24)]
	for _, c := range bankWords {
		if strings.Contains(w, c) {
			return true
		}
	}
	return false
}

// zodiacBits has a bit for each zodiac animal's zodiacKey.
var zodiacBits [5 << 12 / 64]uint64

func init() {
	for _, r := range "鼠牛虎兔龙蛇马羊猴鸡狗猪" {
		var b [3]byte
		utf8.EncodeRune(b[:], r)
		k := zodiacKey(b[0], b[1], b[2])
		zodiacBits[k>>6] |= 1 << (k & 63)
	}
}

// zodiacKey packs a 3-byte character led by 0xE5–0xE9 (where all the
// animals are) into 15 bits; -1 for other lead bytes.
func zodiacKey(b0, b1, b2 byte) int {
	if b0 < 0xE5 || b0 > 0xE9 {
		return -1
	}
	return int(b0-0xE5)<<12 | int(b1&0x3F)<<6 | int(b2&0x3F)
}

// zodiacIndex numbers the twelve animals of the Chinese zodiac, which
// 六合彩 tips bet on (-1 for any other character).
func zodiacIndex(r rune) int {
	switch r {
	case '鼠':
		return 0
	case '牛':
		return 1
	case '虎':
		return 2
	case '兔':
		return 3
	case '龙':
		return 4
	case '蛇':
		return 5
	case '马':
		return 6
	case '羊':
		return 7
	case '猴':
		return 8
	case '鸡':
		return 9
	case '狗':
		return 10
	case '猪':
		return 11
	}
	return -1
}

// Tip cues: strong ones (a draw number, 肖, 波色, 特码…) make three animals
// a tip; weak ones (主/防 "main/hedge", 包 "cover") need four.
var (
	tipStrong = []string{"肖", "波色", "特码", "特马", "平特", "必出", "必中", "本期", "今期", "下期", "开奖"}
	tipWeak   = []string{"主", "防", "包", "挂牌", "横批"}
)

// detectLotteryTip finds a betting tip: several distinct zodiac animals
// with a draw number (digits or x before 期) or tip jargon. The hit spans
// the first to the last animal. "十二生肖" lists (children's songs, the
// calendar) are not tips.
func detectLotteryTip(t string, hits []span) []span {
	var seen uint16
	first, last, n := -1, -1, 0
	for i := 0; i < len(t); {
		c := t[i]
		if c < 0xE0 || c > 0xEF || i+2 >= len(t) {
			i++
			continue
		}
		// A 3-byte character: one bit test says whether it is an animal
		// (this runs over every character of every message).
		if key := zodiacKey(c, t[i+1], t[i+2]); key >= 0 && zodiacBits[key>>6]&(1<<(key&63)) != 0 {
			r, _ := utf8.DecodeRuneInString(t[i:])
			if k := zodiacIndex(r); k >= 0 {
				bit := uint16(1) << k
				if seen&bit == 0 {
					seen |= bit
					n++
				}
				if first < 0 {
					first = i
				}
				last = i + 3
			}
		}
		i += 3
	}
	if n < 3 || strings.Contains(t, "十二生肖") {
		return hits
	}
	strong := drawNumber(t)
	for _, c := range tipStrong {
		if strong {
			break
		}
		strong = strings.Contains(t, c)
	}
	weak := false
	for _, c := range tipWeak {
		if weak {
			break
		}
		weak = strings.Contains(t, c)
	}
	if (strong || weak && n >= 4) && !overlaps(hits, first, last) {
		hits = append(hits, span{first, last, KindLotteryTip})
	}
	return hits
}

// drawNumber reports "<digits>期" or "第…期": a lottery draw's number.
func drawNumber(t string) bool {
	for off := 0; ; {
		k := strings.Index(t[off:], "期")
		if k < 0 {
			return false
		}
		at := off + k
		if at > 0 && (isDigit(t[at-1]) || t[at-1] == 'x') {
			return true
		}
		off = at + len("期")
	}
}

// thousands reports digit groups written as an amount with thousands
// separators: 1-3 digits, then groups of exactly 3 after commas.
func thousands(t string, gs []group) bool {
	if len(gs) < 2 || gs[0].b-gs[0].a > 3 {
		return false
	}
	for _, g := range gs[1:] {
		if g.b-g.a != 3 || t[g.a-1] != ',' {
			return false
		}
	}
	return true
}

// classifyDigits names the kind of a digit string d (separators removed);
// x: followed by an ID-card check letter.
func classifyDigits(d []byte, x bool) string {
	n := len(d)
	if (n == 17 && x) || n == 18 {
		if validID(d, x) {
			return KindIDCard
		}
	}
	if x {
		return ""
	}
	if isMobile(d) || n == 13 && d[0] == '8' && d[1] == '6' && isMobile(d[2:]) ||
		n == 15 && string(d[:4]) == "0086" && isMobile(d[4:]) {
		return KindPhone
	}
	if d[0] == '0' && n >= 10 && n <= 12 && isLandline(d) {
		return KindLandline
	}
	// National service hotlines (400/800 + 7 digits) are what fake customer
	// service leaves to call; they count as a landline contact.
	if n == 10 && (string(d[:3]) == "400" || string(d[:3]) == "800") {
		return KindLandline
	}
	if n >= 16 && n <= 19 && (d[0] == '4' || d[0] == '5' || d[0] == '6' && d[1] == '2') && luhn(d) {
		return KindBankCard
	}
	return ""
}

func isMobile(d []byte) bool {
	return len(d) == 11 && d[0] == '1' && d[1] >= '3' && d[1] <= '9'
}

// isLandline: area code 010/02x (3 digits) or 0[3-9]xx (4 digits), then a
// local number of 7-8 digits not starting with 0 or 1.
func isLandline(d []byte) bool {
	area := 4
	if d[1] == '1' || d[1] == '2' {
		area = 3
	}
	if d[1] == '0' || area == 3 && d[1] == '1' && d[2] != '0' {
		return false
	}
	local := len(d) - area
	return (local == 7 || local == 8) && d[area] >= '2'
}

// validID checks an 18-character resident ID (GB 11643-1999): region code
// starting 1-8, a plausible birth date and the ISO 7064 MOD 11-2 check
// character. x means the check character is X.
func validID(d []byte, x bool) bool {
	if d[0] < '1' || d[0] > '8' {
		return false
	}
	num := func(s []byte) int {
		v := 0
		for _, c := range s {
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, m, day := num(d[6:10]), num(d[10:12]), num(d[12:14])
	if y < 1900 || y > 2100 || m < 1 || m > 12 || day < 1 || day > daysIn(y, m) {
		return false
	}
	weights := [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for k := 0; k < 17; k++ {
		sum += int(d[k]-'0') * weights[k]
	}
	check := "10X98765432"[sum%11]
	if x {
		return len(d) == 17 && check == 'X'
	}
	return len(d) == 18 && check == d[17]
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

func luhn(d []byte) bool {
	sum := 0
	for k := 0; k < len(d); k++ {
		v := int(d[len(d)-1-k] - '0')
		if k%2 == 1 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return sum%10 == 0
}

// ---- QQ numbers and WeChat IDs after a cue word ----

type cue struct{ s, kind string }

// cues in normalised form (simplified, lower case), longest first where
// one is a prefix of another. kind "" is a generic "add me" cue: digits are
// taken as a QQ number, a letter-led ID as WeChat.
var cues = []cue{
	{"qq号", KindQQ}, {"qq", KindQQ}, {"扣扣", KindQQ}, {"企鹅号", KindQQ}, {"企鹅", KindQQ}, {"q号", KindQQ}, {"q q", KindQQ},
	{"微信号", KindWeChat}, {"微信", KindWeChat}, {"薇信", KindWeChat}, {"威信", KindWeChat},
	{"维信", KindWeChat}, {"徽信", KindWeChat}, {"微心", KindWeChat}, {"v信", KindWeChat},
	{"wechat", KindWeChat}, {"vxin", KindWeChat}, {"v:", KindWeChat}, {"wei:", KindWeChat}, {"个人号", KindWeChat}, {"私人号", KindWeChat}, {"v❤", KindWeChat}, {"wei xin", KindWeChat}, {"vx", KindWeChat}, {"v x", KindWeChat}, {"wx", KindWeChat}, {"weixin", KindWeChat},
	{"加v", KindWeChat}, {"加微", KindWeChat}, {"加威", KindWeChat}, {"加薇", KindWeChat}, {"绿泡泡", KindWeChat},
	{"加扣", KindQQ}, {"加q", KindQQ}, {"群号", KindQQ},
	{"抖音号", KindAccount}, {"快手号", KindAccount}, {"陌陌号", KindAccount}, {"小红书号", KindAccount},
	{"telegram", KindAccount}, {"tg", KindAccount}, {"飞机号", KindAccount}, {"电报", KindAccount},
	{"whatsapp", KindAccount}, {"line id", KindAccount}, {"line", KindAccount}, {"skype", KindAccount},
	{"potato", KindAccount}, {"用户名", KindAccount},
	{"加我", ""}, {"联系我", ""}, {"联系方式", ""}, {"私聊", ""}, {"加好友", ""},
}

// cjkFillers may stand between a cue and the number: "微信号是: abc123".
var cjkFillers = []string{"号码", "号", "码", "是", "为", "群", "搜", "联系方式", "联系", "账号", "用户名", "名", "👉", "→", "➡"}

// skipFiller returns the offset after a filler at t[j], or j.
func skipFiller(t string, j int) int {
	switch c := t[j]; {
	case c == ' ' || c == ':' || c == '=' || c == '-' || c == '#' || c == '@' || c == '+':
		return j + 1
	case c == 'i':
		if strings.HasPrefix(t[j:], "id") {
			return j + 2
		}
	case c >= 0x80:
		for _, f := range cjkFillers {
			if strings.HasPrefix(t[j:], f) {
				return j + len(f)
			}
		}
	}
	return j
}

// cueIdx is a bitmask of cues per hash of a cue's first character, so the
// scan does one table lookup per character instead of a prefix test per cue.
var cueIdx [128 + 4096]uint64

// cueKey hashes the character at t[i]: ASCII by value, a multi-byte
// character by the low bits of its next two bytes (collisions only cost a
// prefix test).
func cueKey(t string, i int) int {
	if t[i] < 0x80 {
		return int(t[i])
	}
	if i+2 >= len(t) {
		return 128
	}
	return 128 + int(t[i+1]&0x3F)<<6 | int(t[i+2]&0x3F)
}

func init() {
	if len(cues) > 64 {
		panic("filters: more than 64 cues")
	}
	for k, c := range cues {
		cueIdx[cueKey(c.s, 0)] |= 1 << k
	}
}

// idAfterCue reads a QQ number or WeChat id that starts at t[j] (after
// fillers such as 号, 是, ：). kind is the cue's channel, "" for a generic
// "add me" cue (digits are then a QQ number, a letter-led id WeChat).
func idAfterCue(t string, j int, cueKind string) (span, bool) {
	for steps := 0; steps < 6 && j < len(t); steps++ {
		n := skipFiller(t, j)
		if n == j {
			break
		}
		j = n
	}
	if j >= len(t) {
		return span{}, false
	}
	a := j
	kind := ""
	switch {
	case isDigit(t[j]):
		// Bounded scans keep a text of repeated cues linear.
		digits := 0
		for j < len(t) && j-a < 32 && (isDigit(t[j]) || (t[j] == ' ' || t[j] == '-') && j+1 < len(t) && isDigit(t[j+1])) {
			if isDigit(t[j]) {
				digits++
			}
			j++
		}
		if t[a] != '0' && digits >= 5 && digits <= 12 && (j == len(t) || !isAlnum(t[j])) {
			kind = cueKind
			if kind == "" {
				kind = KindQQ
			}
		}
	case isLower(t[j]) && cueKind != KindQQ:
		for j < len(t) && j-a < 32 && (isAlnum(t[j]) || t[j] == '_' || t[j] == '-' || t[j] == '.') {
			j++
		}
		j = idDigitTail(t, a, j)
		lo, hi := 6, 20 // WeChat ids
		if cueKind == KindAccount {
			lo, hi = 4, 32 // a Telegram @handle, a Line ID
		}
		if l := j - a; l >= lo && l <= hi && (j == len(t) || !isAlnum(t[j]) && t[j] != '_' && t[j] != '-') {
			kind = KindWeChat
			if cueKind == KindAccount {
				kind = KindAccount
			}
		}
	}
	if kind == "" {
		return span{}, false
	}
	return span{a, j, kind}, true
}

// idDigitTail extends a short run of letters that a cue introduced over
// one space and the digits after it: spam splits an id at its letter
// prefix (微信：zx 770815) so that no run looks like an id, while a word
// and a number after a cue (微信 ok 12) are too short to count.
func idDigitTail(t string, a, j int) int {
	if j-a > 4 || j+1 >= len(t) || t[j] != ' ' || !isDigit(t[j+1]) {
		return j
	}
	for k := a; k < j; k++ {
		if !isLower(t[k]) {
			return j
		}
	}
	k := j + 1
	for k < len(t) && k-a < 32 && isDigit(t[k]) {
		k++
	}
	if k-(j+1) < 5 {
		return j
	}
	return k
}

// detectLexiconCued reads ids after the contact cues the lexicon found,
// including variant hits (加威, jia wei xin, 扣扣 written with homophones),
// which the fixed cue list above cannot know.
func detectLexiconCued(n *Normalized, ms []modgate.Match, hits []span) []span {
	for i := range ms {
		m := &ms[i]
		if m.Category != modgate.LabelContact || (m.Subcategory != "cue" && m.Subcategory != "evasive") {
			continue
		}
		j := n.NormPos(m.End)
		if j <= 0 || j > len(n.Text) {
			continue
		}
		if h, ok := idAfterCue(n.Text, j, cueKindOf(m.Term)); ok && !overlaps(hits, h.a, h.b) {
			hits = append(hits, h)
		}
	}
	return hits
}

// cueKindOf guesses the channel a cue term names.
func cueKindOf(term string) string {
	t := strings.ToLower(term)
	switch {
	case strings.Contains(t, "qq") || strings.Contains(t, "扣") || strings.Contains(t, "企鹅") || strings.Contains(t, "q群"):
		return KindQQ
	case strings.Contains(t, "微") || strings.Contains(t, "信") || strings.Contains(t, "v") || strings.Contains(t, "wx") || strings.Contains(t, "泡泡"):
		return KindWeChat
	}
	return ""
}

func detectCued(t string, hits []span) []span {
	for i := 0; i < len(t); i++ {
		if t[i]&0xC0 == 0x80 {
			continue // continuation byte
		}
		mask := cueIdx[cueKey(t, i)]
		if mask == 0 {
			continue
		}
		var c *cue
		for k := range cues {
			if mask&(1<<k) != 0 && strings.HasPrefix(t[i:], cues[k].s) {
				c = &cues[k]
				break
			}
		}
		if c == nil {
			continue
		}
		if c.s[0] < 0x80 && i > 0 && isLower(t[i-1]) {
			continue // "vx" inside an English word
		}
		if h, ok := idAfterCue(t, i+len(c.s), c.kind); ok && !overlaps(hits, h.a, h.b) {
			hits = append(hits, h)
			i = h.b - 1
		}
	}
	return hits
}

// priceUnits may follow a number to make it a price or a discount.
var priceUnits = []string{"元", "块", "折", "起", "/位", "/人", "/斤", "/月", "/年", "/盒", "/m2", "/平", "/份", "/张", "包邮"}

// detectCommerce finds price and discount patterns in the normalised text
// and the 【header】 and 地址： signals in the original (the normaliser drops
// the brackets, the currency sign and the colon).
func detectCommerce(n *Normalized, hits []span) []span {
	t := n.Text
	add := func(a, b int, kind string) {
		if a < b && !overlaps(hits, a, b) {
			hits = append(hits, span{a, b, kind})
		}
	}
	found := false
	for i := 0; i < len(t) && !found; i++ {
		c := t[i]
		switch {
		case isDigit(c) && (i == 0 || !isDigit(t[i-1]) && t[i-1] != '.' && t[i-1] != ','):
			j := i
			for j < len(t) && (isDigit(t[j]) || (t[j] == '.' || t[j] == ',') && j+1 < len(t) && isDigit(t[j+1])) {
				j++
			}
			for _, u := range priceUnits {
				if strings.HasPrefix(t[j:], u) {
					if u == "元" && strings.HasPrefix(t[j:], "元旦") {
						break
					}
					add(i, j+len(u), KindPrice)
					found = true
					break
				}
			}
			if i >= len("满") && strings.HasSuffix(t[:i], "满") {
				add(i-len("满"), j, KindPrice)
				found = true
			}
			i = j - 1
		case c == 0xE6 && i >= 3 && strings.HasPrefix(t[i:], "折"): // 0xE6 leads 折: skip the rest cheaply
			if r, _ := utf8.DecodeLastRuneInString(t[:i]); strings.ContainsRune("一二两三四五六七八九", r) {
				add(i-utf8.RuneLen(r), i+len("折"), KindPrice)
				found = true
			}
		}
	}
	// The original text: a currency sign before digits, a 【header】 at the
	// start, an address line. Most messages have none of them: look for
	// each with one fast substring search before decoding anything.
	orig := n.orig
	for _, sign := range []string{"¥", "￥"} {
		for off := 0; ; {
			k := strings.Index(orig[off:], sign)
			if k < 0 {
				break
			}
			b := off + k + len(sign)
			off = b
			if rest := strings.TrimLeft(orig[b:], " "); rest != "" && (isDigit(rest[0]) || strings.HasPrefix(rest, "０")) {
				a := n.NormPos(utf8.RuneCountInString(orig[:b]))
				e := a
				for e < len(t) && (isDigit(t[e]) || t[e] == '.') {
					e++
				}
				add(a, e, KindPrice)
			}
		}
	}
	if lead := strings.TrimLeft(orig, " \t"); strings.HasPrefix(lead, "【") || strings.HasPrefix(lead, "[") {
		_, size := utf8.DecodeRuneInString(lead)
		if k := strings.IndexAny(lead, "】]"); k > size {
			inner := utf8.RuneCountInString(lead[size:k])
			if inner >= 2 && inner <= 16 {
				cp := utf8.RuneCountInString(orig[:len(orig)-len(lead)]) + 1
				add(n.NormPos(cp), n.NormPos(cp+inner), KindHeader)
			}
		}
	}
	for off := 0; ; {
		k := strings.Index(orig[off:], "地址")
		if k < 0 {
			break
		}
		b := off + k
		off = b + len("地址")
		if rest := orig[off:]; strings.HasPrefix(rest, "：") || strings.HasPrefix(rest, ":") {
			a := n.NormPos(utf8.RuneCountInString(orig[:b]))
			add(a, min(a+len("地址"), len(t)), KindAddress)
			break
		}
	}
	return hits
}
