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
