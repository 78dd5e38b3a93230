package review

import (
	"encoding/base64"
	"strings"
	"unicode"
)

// MaskText masks personal data in text reviewers see: the gateway's
// masked text (completing what the filter left: landlines, cards it did
// not recognise, numbers in any grouping), report text, team notes and
// the audit trail.
//
//   - numbers of 7 or more digits, also when grouped by spaces, hyphens,
//     dots, slashes or brackets (phones, landlines such as 021-63501234,
//     QQ, ID-card and bank-card numbers of 16-19 digits; an ID card's final
//     X counts): the first 3 and last 2 digits stay, separators stay; a
//     number already masked (it holds '*') and dates (2024-01-15) are left;
//   - e-mail local parts keep their first character;
//   - a name after a name cue (联系人、姓名、收件人、户名、持卡人、我叫…), or
//     a name written next to a phone number (张伟 13800138000), keeps its
//     surname: 张*;
//   - an address after an address cue (地址、住址、收货地址、家住、寄到…), or
//     one written with administrative units (上海市黄浦区南京东路100号) in
//     a message with a contact cue, keeps its first unit: 上海市*********.
//
// Masking is rune for rune, so code-point offsets (match highlights) are
// unchanged, and it is idempotent.
func MaskText(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	changed := maskNumbers(r)
	changed = maskEmails(r) || changed
	changed = maskNames(r) || changed
	changed = maskAddresses(r) || changed
	if !changed {
		return s
	}
	return string(r)
}

func isDig(c rune) bool { return c >= '0' && c <= '9' || c >= '０' && c <= '９' }

// isNumSep joins digit groups of one number: 138 1234 5678, 021-63501234.
func isNumSep(c rune) bool {
	return strings.ContainsRune(" -./()（）－\u00a0\u3000", c)
}

// maskNumbers masks every number of 7 or more digits (see MaskText).
func maskNumbers(r []rune) bool {
	changed := false
	for i := 0; i < len(r); {
		if !isDig(r[i]) && r[i] != '*' {
			i++
			continue
		}
		// A number: digit (or masked) groups joined by single separators,
		// with an optional final X (ID card).
		j, digits, groups, starred := i, 0, []int{}, false
		for {
			g := 0
			for j < len(r) && (isDig(r[j]) || r[j] == '*') {
				if r[j] == '*' {
					starred = true
				}
				j++
				g++
			}
			digits += g
			groups = append(groups, g)
			if j+1 < len(r) && isNumSep(r[j]) && (isDig(r[j+1]) || r[j+1] == '*') {
				j++
				continue
			}
			break
		}
		if j < len(r) && (r[j] == 'X' || r[j] == 'x') && digits >= 14 {
			j++
			digits++
		}
		if digits >= 7 && !starred && !isDate(r[i:j], groups) {
			keep := 0
			for k := i; k < j; k++ {
				if isNumSep(r[k]) {
					continue
				}
				if keep >= 3 && keep < digits-2 {
					r[k] = '*'
					changed = true
				}
				keep++
			}
		}
		i = j
	}
	return changed
}

// isDate: 2024-01-15, 2024.1.5, 2024/01/15 (year 1900-2099).
func isDate(num []rune, groups []int) bool {
	if len(groups) != 3 || groups[0] != 4 || groups[1] < 1 || groups[1] > 2 || groups[2] < 1 || groups[2] > 2 {
		return false
	}
	y := string(num[:2])
	return y == "19" || y == "20"
}

func maskEmails(r []rune) bool {
	changed := false
	for i := range r {
		if r[i] != '@' || i == 0 {
			continue
		}
		k := i - 1
		for k >= 0 && isLocal(r[k]) {
			k--
		}
		for m := k + 2; m < i; m++ {
			if r[m] != '*' {
				r[m] = '*'
				changed = true
			}
		}
	}
	return changed
}

func isLocal(c rune) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._%+-*", c)
}

func isHan(c rune) bool { return unicode.Is(unicode.Han, c) }

// nameCues precede a person's name; strict ones need no surname check.
var nameCues = []struct {
	cue    string
	strict bool
}{
	{"真实姓名", true}, {"姓名", true}, {"联系人", true}, {"收件人", true}, {"收货人", true},
	{"开户名", true}, {"户名", true}, {"持卡人", true}, {"名字叫", false}, {"我叫", false},
	{"本人", false}, {"联系", false},
}

// Common surnames (the first character of a name written next to a phone
// number or after a loose cue) and compound ones.
const surnames = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"

var compoundSurnames = []string{"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "令狐", "慕容", "尉迟", "公孙", "长孙", "夏侯", "司徒", "端木"}

// surnameLen is the length of the surname name starts with (0: none).
func surnameLen(name []rune) int {
	if len(name) >= 3 {
		for _, c := range compoundSurnames {
			if string(name[:2]) == c {
				return 2
			}
		}
	}
	if len(name) >= 2 && strings.ContainsRune(surnames, name[0]) {
		return 1
	}
	return 0
}

// maskName masks the given name of the Han run r[a:b] (a name of 2-4
// characters at its start); it reports whether it masked.
func maskName(r []rune, a, b int, strict bool) bool {
	n := b - a
	if n < 2 {
		return false
	}
	sl := surnameLen(r[a:b])
	if sl == 0 {
		if !strict {
			return false
		}
		sl = 1
	}
	end := a + min(n, sl+2) // a given name has 1-2 characters
	changed := false
	for k := a + sl; k < end; k++ {
		if r[k] != '*' {
			r[k] = '*'
			changed = true
		}
	}
	return changed
}

func skipCueSep(r []rune, i int) int {
	for i < len(r) && (r[i] == ':' || r[i] == '：' || r[i] == ' ' || r[i] == '\u3000' || r[i] == '是' || r[i] == '为') {
		i++
	}
	return i
}

func hanRun(r []rune, i int) int {
	j := i
	for j < len(r) && (isHan(r[j]) || r[j] == '*' && j > i) {
		j++
	}
	return j
}

func hasPrefixAt(r []rune, i int, cue string) bool {
	k := i
	for _, c := range cue {
		if k >= len(r) || r[k] != c {
			return false
		}
		k++
	}
	return true
}

func maskNames(r []rune) bool {
	changed := false
	for i := 0; i < len(r); i++ {
		for _, nc := range nameCues {
			if !hasPrefixAt(r, i, nc.cue) {
				continue
			}
			a := skipCueSep(r, i+len([]rune(nc.cue)))
			b := hanRun(r, a)
			changed = maskName(r, a, b, nc.strict) || changed
			i += len([]rune(nc.cue)) - 1
			break
		}
	}
	// A name right before or after a phone-like number.
	for i := 0; i < len(r); i++ {
		if !isDig(r[i]) && r[i] != '*' || i > 0 && (isDig(r[i-1]) || r[i-1] == '*' || isNumSep(r[i-1]) && i > 1 && isDig(r[i-2])) {
			continue
		}
		j, n := i, 0
		for j < len(r) && (isDig(r[j]) || r[j] == '*' || isNumSep(r[j]) && j+1 < len(r) && (isDig(r[j+1]) || r[j+1] == '*')) {
			if !isNumSep(r[j]) {
				n++
			}
			j++
		}
		if n < 7 {
			i = j
			continue
		}
		// before: skip one separator, then the Han run ending there
		e := i
		for e > 0 && (r[e-1] == ' ' || r[e-1] == ':' || r[e-1] == '：') && i-e < 2 {
			e--
		}
		s := e
		for s > 0 && isHan(r[s-1]) {
			s--
		}
		for _, l := range []int{3, 2} {
			if e-s >= l && surnameLen(r[e-l:e]) > 0 {
				changed = maskName(r, e-l, e, false) || changed
				break
			}
		}
		// after
		a := j
		for a < len(r) && (r[a] == ' ' || r[a] == ':' || r[a] == '：' || r[a] == '（' || r[a] == '(') && a-j < 2 {
			a++
		}
		b := hanRun(r, a)
		if b-a >= 2 && b-a <= 3 {
			changed = maskName(r, a, b, false) || changed
		}
		i = j
	}
	return changed
}

var addressCues = []string{"收货地址", "详细地址", "地址", "住址", "家住", "住在", "寄到", "送到"}

var contactCues = []string{"电话", "手机", "联系", "微信", "收货", "快递", "地址", "加我", "私聊"}

// isAddrRune: characters of an address (Han, digits, Latin, 号-#).
func isAddrRune(c rune) bool {
	return isHan(c) || isDig(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || strings.ContainsRune("-#－*", c)
}

// maskAddressRun masks an address r[a:b] after its first administrative
// unit (省/市/自治区 within the first 7 characters, else the first 2).
func maskAddressRun(r []rune, a, b int) bool {
	if b-a < 4 {
		return false
	}
	keep := a + 2
	for k := a; k < min(a+7, b); k++ {
		if r[k] == '省' || r[k] == '市' || r[k] == '区' && k > a && r[k-1] == '治' {
			keep = k + 1
			break
		}
	}
	changed := false
	for k := keep; k < min(b, a+60); k++ {
		if r[k] != '*' {
			r[k] = '*'
			changed = true
		}
	}
	return changed
}

func maskAddresses(r []rune) bool {
	changed := false
	for i := 0; i < len(r); i++ {
		for _, cue := range addressCues {
			if !hasPrefixAt(r, i, cue) {
				continue
			}
			a := skipCueSep(r, i+len([]rune(cue)))
			b := a
			for b < len(r) && isAddrRune(r[b]) {
				b++
			}
			changed = maskAddressRun(r, a, b) || changed
			i = max(i, b-1)
			break
		}
	}
	// Addresses written with administrative units, in a message with a
	// contact cue (a phone number, 电话, 收货…).
	s := string(r)
	cue := strings.ContainsRune(s, '*') // a masked number
	for _, c := range contactCues {
		cue = cue || strings.Contains(s, c)
	}
	if !cue {
		return changed
	}
	for i := 0; i < len(r); {
		if !isHan(r[i]) {
			i++
			continue
		}
		j := i
		for j < len(r) && isAddrRune(r[j]) {
			j++
		}
		changed = maskAdminAddress(r, i, j) || changed
		i = j
	}
	return changed
}

// maskAdminAddress masks the address inside r[a:b] that starts with a
// 省/市 unit and goes on with a smaller one (区县镇乡路街巷弄号村栋室).
func maskAdminAddress(r []rune, a, b int) bool {
	for k := a; k < b; k++ {
		if r[k] != '省' && r[k] != '市' {
			continue
		}
		// the unit's name: up to 4 Han characters before it
		s := k
		for s > a && k-s < 4 && isHan(r[s-1]) {
			s--
		}
		if k-s < 2 {
			continue
		}
		smaller := false
		for m := k + 1; m < b; m++ {
			if strings.ContainsRune("区县镇乡路街巷弄号村栋室", r[m]) {
				smaller = true
			}
		}
		if !smaller || b-k < 4 {
			continue
		}
		changed := false
		for m := k + 1; m < min(b, k+60); m++ {
			if r[m] != '*' {
				r[m] = '*'
				changed = true
			}
		}
		return changed
	}
	return false
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
