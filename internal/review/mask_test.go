package review

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func mustJSON(tb testing.TB, v any) []byte {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func TestMaskText(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"no digits", "加微信聊聊", "加微信聊聊"},
		{"short number kept", "房间 123456", "房间 123456"},
		{"phone", "电话13812345678", "电话138******78"},
		{"id card with X", "身份证11010519491231002X", "身份证110*************2X"},
		{"fullwidth digits", "１３８１２３４５６７８", "１３８******７８"},
		{"email", "mail alice.b@example.com", "mail a******@example.com"},
		{"two numbers", "QQ 12345678 and 87654321", "QQ 123***78 and 876***21"},
		{"19-digit card in groups", "卡号 6222 0212 3456 7890 123 转账", "卡号 622* **** **** **** *23 转账"},
		{"16-digit card, no Luhn", "卡号6222021234567891", "卡号622***********91"},
		{"landline", "座机 021-63501234", "座机 021-******34"},
		{"landline with brackets", "电话(021)6350 1234", "电话(021)**** **34"},
		{"already masked kept", "电话 138****8000", "电话 138****8000"},
		{"date kept", "2024-01-15 见", "2024-01-15 见"},
		{"name after cue", "联系人：张伟，电话见下", "联系人：张*，电话见下"},
		{"strict cue without surname", "收件人 小明同学", "收件人 小**学"},
		{"loose cue needs a surname", "联系我们吧", "联系我们吧"},
		{"name before a phone", "找张伟 13800138000", "找张* 138******00"},
		{"name after a phone", "13800138000 王小明", "138******00 王**"},
		{"compound surname", "姓名：欧阳娜娜", "姓名：欧阳**"},
		{"address after cue", "收货地址：上海市黄浦区南京东路100号，谢谢", "收货地址：上海市***********，谢谢"},
		{"address with units next to contact", "电话见下 广东省深圳市南山区科技园8栋", "电话见下 广东省***********"},
		{"units without contact cue kept", "上海市黄浦区今天下雨", "上海市黄浦区今天下雨"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := MaskText(tc.in)
			if got != tc.want {
				t.Fatalf("MaskText(%q) = %q, want %q", tc.in, got, tc.want)
			}
			if utf8.RuneCountInString(got) != utf8.RuneCountInString(tc.in) {
				t.Fatalf("masking changed the length: %q", got)
			}
			if again := MaskText(got); again != got {
				t.Fatalf("masking is not idempotent: %q -> %q", got, again)
			}
		})
	}
}

func TestKeyPart(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", "="},
		{"ascii", "u-1", "dS0x"},
		{"dots and stars are encoded", "a.*>", "YS4qPg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := keyPart(tc.in); got != tc.want {
				t.Fatalf("keyPart(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
