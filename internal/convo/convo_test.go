package convo

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/modgate/modgate"
	"github.com/modgate/modgate/internal/natsutil"
	"github.com/modgate/modgate/internal/natsutil/natstest"
	"github.com/modgate/modgate/internal/testkit"
	"github.com/modgate/modgate/policies"
)

// fakeClock is a settable clock for the window's time rules.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClock() *fakeClock { return &fakeClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)} }

// settings are the shipped conversation tunables.
func settings(t *testing.T) modgate.ConversationSettings {
	t.Helper()
	e, err := policies.Load(context.Background(), policies.Default, policies.Options{SkipTests: true})
	if err != nil {
		t.Fatal(err)
	}
	return e.Conversation()
}

func msg(id, tenant, group, sender, text string) *modgate.Message {
	return &modgate.Message{ID: id, Text: text, Tenant: tenant, Sender: modgate.Sender{ID: sender}, Group: modgate.Group{ID: group}}
}

// post observes and commits one message the way screening does (allowed,
// masked text = text, normalised = text).
func post(s *Store, set modgate.ConversationSettings, m *modgate.Message, action string) modgate.ConversationView {
	view, _ := s.Observe(m, m.Text, set)
	s.Commit(m, &modgate.Verdict{Action: action, MaskedText: m.Text, Normalized: m.Text}, &view)
	return view
}

func TestMinuteRate(t *testing.T) {
	base := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixNano()
	sec := int64(time.Second)
	tests := []struct {
		name   string
		events []int64 // seconds after base
		at     int64
		want   int
	}{
		{"empty", nil, 0, 0},
		{"three now", []int64{0, 0, 1}, 1, 3},
		{"a minute later all gone", []int64{0, 5, 9}, 70, 0},
		{"half a minute later still there", []int64{0, 5, 9}, 30, 3},
		{"old event after a newer one is dropped", []int64{100, 10}, 100, 1},
		{"late event inside the minute counts", []int64{100, 80}, 100, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r minuteRate
			for _, e := range tc.events {
				r.add(base + e*sec)
			}
			if got := r.count(base + tc.at*sec); got != tc.want {
				t.Fatalf("count = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestSignatureNearDuplicates(t *testing.T) {
	const ad = "我们的新品到货了喜欢的朋友可以看看微信下单"
	tests := []struct {
		name    string
		a, b    string
		similar bool
	}{
		{"identical", ad, ad, true},
		{"one character changed", ad, "我们的新品到货啦喜欢的朋友可以看看微信下单", true},
		{"another phone number", "优惠活动进行中详情请致电13800138000咨询", "优惠活动进行中详情请致电13912345678咨询", true},
		{"an emoji and punctuation added", ad, "我们的新品到货了喜欢的朋友可以看看微信下单", true},
		{"unrelated", ad, "明天下午三点在会议室讨论季度预算安排", false},
		{"same topic, other words", "今天的会议改到下午三点开始请准时参加", "明天的活动改到周六上午十点请大家准时到场", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sa, sb := signature(tc.a, 10), signature(tc.b, 10)
			if sa == nil || sb == nil {
				t.Fatal("no signature")
			}
			sim := similarity(sa, sb)
			if got := sim >= 0.6; got != tc.similar {
				t.Fatalf("similarity %.2f, want similar=%v", sim, tc.similar)
			}
		})
	}
	if signature("好的，明天见！", 10) != nil {
		t.Fatal("a 5-character text got a fingerprint")
	}
}

func TestFloodCounts(t *testing.T) {
	set := settings(t)
	clk := newClock()
	s := New(Config{Now: clk.Now})
	const ad = "周末特价全场五折欢迎进店选购地址在人民路88号"
	var v modgate.ConversationView
	for g := 1; g <= 5; g++ {
		v = post(s, set, msg(fmt.Sprint("m", g), "t1", fmt.Sprint("g", g), fmt.Sprint("u", g), ad), modgate.ActionAllow)
		if v.Facts.FloodGroups != g || v.Facts.FloodSenders != g || v.Facts.FloodSenderGroups != 1 {
			t.Fatalf("message %d: %+v", g, v.Facts)
		}
	}
	// One sender in three more groups.
	for g := 6; g <= 8; g++ {
		v = post(s, set, msg(fmt.Sprint("m", g), "t1", fmt.Sprint("g", g), "u1", ad), modgate.ActionAllow)
	}
	if f := v.Facts; f.FloodGroups != 8 || f.FloodSenders != 5 || f.FloodSenderGroups != 4 {
		t.Fatalf("after one sender posted in 3 more groups: %+v", f)
	}
	// The same sender again in a group it already posted in adds nothing.
	if v, _ = s.Observe(msg("m9", "t1", "g8", "u1", ad), ad, set); v.Facts.FloodGroups != 8 {
		t.Fatalf("repeat in the same group: %+v", v.Facts)
	}
	// Another tenant is counted apart.
	if v, _ = s.Observe(msg("x", "t2", "g1", "u1", ad), ad, set); v.Facts.FloodGroups != 1 {
		t.Fatalf("other tenant: %+v", v.Facts)
	}
	// Past the flood window the copies no longer count.
	clk.Add(set.FloodWindow + time.Second)
	if v, _ = s.Observe(msg("late", "t1", "g99", "u99", ad), ad, set); v.Facts.FloodGroups != 1 {
		t.Fatalf("after the flood window: %+v", v.Facts)
	}
	s.Sweep()
	if st := s.Stats(); st.Clusters != 0 { // nothing committed since: t1's cluster expired
		t.Fatalf("expired clusters kept: %+v", st)
	}
	// Short texts are not fingerprinted.
	if v, _ = s.Observe(msg("s", "t1", "g1", "u1", "好的"), "好的", set); v.Sig != nil || v.Facts.FloodGroups != 0 {
		t.Fatalf("short text: %+v", v.Facts)
	}
}

func TestPriorChain(t *testing.T) {
	set := settings(t)
	type m struct {
		id, sender, text, action string
		after                    time.Duration // since the previous message
	}
	tests := []struct {
		name string
		msgs []m
		cur  m
		want []string
	}{
		{"three short parts", []m{{"a", "u", "加", "allow", 0}, {"b", "u", "V", "allow", time.Second}},
			m{"c", "u", "kk99001 领福利", "", time.Second}, []string{"a", "b"}},
		{"other senders in between do not break it", []m{{"a", "u", "加", "allow", 0}, {"o", "w", "大家好啊", "allow", time.Second}, {"b", "u", "V", "allow", time.Second}},
			m{"c", "u", "kk99001", "", time.Second}, []string{"a", "b"}},
		{"too long ago", []m{{"a", "u", "加", "allow", 0}},
			m{"c", "u", "V kk99001", "", set.SplitMaxGap + time.Second}, nil},
		{"gap inside the chain stops it", []m{{"a", "u", "加", "allow", 0}, {"b", "u", "V", "allow", set.SplitMaxGap + time.Second}},
			m{"c", "u", "kk99001", "", time.Second}, []string{"b"}},
		{"a long message stops it", []m{{"a", "u", "加", "allow", 0}, {"b", "u", "今天我们开会讨论了很多事情", "allow", time.Second}},
			m{"c", "u", "kk99001", "", time.Second}, nil},
		{"a flagged message stops it", []m{{"a", "u", "加", "allow", 0}, {"b", "u", "vx", "review", time.Second}},
			m{"c", "u", "kk99001", "", time.Second}, nil},
		{"at most max_messages-1 earlier ones", []m{{"a", "u", "1", "allow", 0}, {"b", "u", "2", "allow", time.Second},
			{"c", "u", "3", "allow", time.Second}, {"d", "u", "4", "allow", time.Second}, {"e", "u", "5", "allow", time.Second}},
			m{"f", "u", "6", "", time.Second}, []string{"b", "c", "d", "e"}},
		{"a retry of the same message is not its own prefix", []m{{"a", "u", "加", "allow", 0}, {"c", "u", "V", "allow", time.Second}},
			m{"c", "u", "V", "", time.Second}, []string{"a"}},
		{"another group's messages are not joined", nil, m{"c", "u", "kk99001", "", time.Second}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock()
			s := New(Config{Now: clk.Now})
			post(s, set, msg("elsewhere", "t1", "g-other", "u", "加"), modgate.ActionAllow)
			for _, x := range tc.msgs {
				clk.Add(x.after)
				post(s, set, msg(x.id, "t1", "g", x.sender, x.text), x.action)
			}
			clk.Add(tc.cur.after)
			v, ok := s.Observe(msg(tc.cur.id, "t1", "g", tc.cur.sender, tc.cur.text), tc.cur.text, set)
			if !ok {
				t.Fatal("unavailable")
			}
			var got []string
			for _, p := range v.Prior {
				got = append(got, p.ID)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("prior = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestVelocityCounts(t *testing.T) {
	set := settings(t)
	clk := newClock()
	s := New(Config{Now: clk.Now})
	for i := 0; i < 12; i++ {
		post(s, set, msg(fmt.Sprint("a", i), "t1", "g1", "u1", "哈哈"), modgate.ActionAllow)
		post(s, set, msg(fmt.Sprint("b", i), "t1", "g2", "u1", "哈哈"), modgate.ActionAllow)
		post(s, set, msg(fmt.Sprint("c", i), "t1", "g1", "u2", "好的"), modgate.ActionAllow)
		clk.Add(2 * time.Second)
	}
	v, _ := s.Observe(msg("x", "t1", "g1", "u1", "再来"), "再来", set)
	if f := v.Facts; f.SenderGroupPerMinute != 13 || f.SenderPerMinute != 25 || f.GroupPerMinute != 25 {
		t.Fatalf("facts %+v, want sender_group 13, sender 25, group 25", f)
	}
	clk.Add(2 * time.Minute)
	v, _ = s.Observe(msg("y", "t1", "g1", "u1", "再来"), "再来", set)
	if f := v.Facts; f.SenderGroupPerMinute != 1 || f.SenderPerMinute != 1 || f.GroupPerMinute != 1 {
		t.Fatalf("two minutes later %+v", f)
	}
}

func TestGroupsBoundedLRU(t *testing.T) {
	set := settings(t)
	const bound = groupShards * 2
	s := New(Config{MaxGroups: bound, WindowSize: 3})
	for g := 0; g < 1000; g++ {
		for i := 0; i < 5; i++ {
			post(s, set, msg(fmt.Sprint(g, "-", i), "t1", fmt.Sprint("g", g), "u", "好"), modgate.ActionAllow)
		}
	}
	st := s.Stats()
	if st.Groups > bound*5/4+groupShards || st.Records > st.Groups*3 {
		t.Fatalf("stats %+v: over the bounds (groups %d, 3 per group)", st, bound)
	}
	if !s.Has("t1", "g999", "999-4") {
		t.Fatal("the most recent group was evicted")
	}
}

func TestTextCappedAndMasked(t *testing.T) {
	set := settings(t)
	s := New(Config{MaxTextBytes: 10})
	m := msg("m", "t1", "g", "u", "电话13800138000找我")
	view, _ := s.Observe(m, m.Text, set)
	s.Commit(m, &modgate.Verdict{Action: "allow", MaskedText: "电话138****8000找我", Normalized: m.Text}, &view)
	w := s.Window(msg("next", "t1", "g", "u", "x"))
	if len(w) != 1 || !w[0].Truncated || strings.Contains(w[0].Text, "0013") || len(w[0].Text) > 10 {
		t.Fatalf("window %+v", w)
	}
}

// openStore opens a Store on the server with a fast test configuration.
func openStore(t *testing.T, srv *natsutil.Embedded, origin string) *Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{URL: srv.ClientURL(), Origin: origin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	testkit.Eventually(t, origin+" to catch up", 5*time.Second, s.Available)
	return s
}

func TestStreamSharedByReplicas(t *testing.T) {
	set := settings(t)
	srv := natstest.Start(t)
	a := openStore(t, srv, "a")
	b := openStore(t, srv, "b")

	// A message screened on a reaches b's view; only its masked text
	// travels.
	m := msg("m1", "t1", "g1", "u1", "电话13800138000")
	view, _ := a.Observe(m, m.Text, set)
	a.Commit(m, &modgate.Verdict{Action: "allow", MaskedText: "电话138****8000", Normalized: m.Text}, &view)
	testkit.Eventually(t, "b to see m1", 5*time.Second, func() bool { return b.Has("t1", "g1", "m1") })
	if w := b.Window(msg("m2", "t1", "g1", "u1", "x")); len(w) != 1 || w[0].Text != "电话138****8000" || w[0].SenderID != "u1" {
		t.Fatalf("b's window %+v", w)
	}
	_, js := natstest.Connect(t, srv)
	for _, sm := range natstest.StreamMessages(t, js, Stream) {
		if strings.Contains(string(sm.Data()), "13800138000") {
			t.Fatalf("the stream holds the unmasked text: %s", sm.Data())
		}
		if want := BatchSubject(modgate.DefaultSubjectPrefix, "a"); sm.Subject() != want {
			t.Fatalf("subject %s, want %s", sm.Subject(), want)
		}
	}
	// Flood counts see both replicas' messages.
	const ad = "周末特价全场五折欢迎进店选购地址在人民路88号"
	for g := 1; g <= 4; g++ {
		s := a
		if g%2 == 0 {
			s = b
		}
		post(s, set, msg(fmt.Sprint("ad", g), "t1", fmt.Sprint("ag", g), fmt.Sprint("u", g), ad), modgate.ActionAllow)
	}
	testkit.Eventually(t, "a to count 5 groups", 5*time.Second, func() bool {
		v, _ := a.Observe(msg("ad5", "t1", "ag5", "u5", ad), ad, set)
		return v.Facts.FloodGroups == 5
	})

	// A replica that starts later reads the window from the stream.
	c := openStore(t, srv, "c")
	if !c.Has("t1", "g1", "m1") || !c.Has("t1", "ag4", "ad4") {
		t.Fatalf("a late replica lacks the window: %+v", c.Stats())
	}

	// Subject-data deletion: purged from the stream, dropped by every view.
	n, err := b.Forget(context.Background(), "u1")
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 { // m1 and ad1, in two groups
		t.Fatalf("forget counted %d stream records, want 2", n)
	}
	testkit.Eventually(t, "every replica to forget u1", 5*time.Second, func() bool {
		return !a.Has("t1", "g1", "m1") && !b.Has("t1", "g1", "m1") && !c.Has("t1", "g1", "m1") && !a.Has("t1", "ag1", "ad1")
	})
	d := openStore(t, srv, "d")
	if d.Has("t1", "g1", "m1") || !d.Has("t1", "ag2", "ad2") {
		t.Fatalf("a replica started after the deletion: m1 %v, ad2 %v", d.Has("t1", "g1", "m1"), d.Has("t1", "ag2", "ad2"))
	}
}

func TestEnsureAfterStreamLoss(t *testing.T) {
	set := settings(t)
	srv := natstest.Start(t)
	a := openStore(t, srv, "a")
	b := openStore(t, srv, "b")
	_, js := natstest.Connect(t, srv)
	ctx := context.Background()
	// A NATS server that comes back without the stream (memory storage
	// after a restart, or a replaced server).
	if err := js.DeleteStream(ctx, Stream); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*Store{a, b} {
		if err := s.Ensure(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := js.Stream(ctx, Stream); err != nil {
		t.Fatalf("stream not re-created: %v", err)
	}
	post(a, set, msg("after", "t1", "g1", "u1", "好的"), modgate.ActionAllow)
	testkit.Eventually(t, "b to read the new stream", 5*time.Second, func() bool { return b.Has("t1", "g1", "after") })
}

func TestRecordJSON(t *testing.T) {
	r := Record{Origin: "o-1", ID: "m\"1", Tenant: "t", Group: "g", Sender: "u\\1", At: 1234, Text: "加\n微\x01信 \"引号\"",
		Truncated: true, Chars: 3, Action: "allow", Sig: signature("周末特价全场五折欢迎进店选购", 10)}
	b := r.appendJSON(nil)
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if len(back.Sig) != sigLen || !reflect.DeepEqual(back, r) {
		t.Fatalf("round trip:\n%+v\n%+v", back, r)
	}
	if !strings.HasPrefix(string(b), `{"o":"o-1",`) {
		t.Fatalf("origin not first: %s", b)
	}
}

func TestStreamConfig(t *testing.T) {
	sc := StreamConfig(New(Config{WindowSize: 7, WindowAge: 3 * time.Minute}).Config())
	if sc.MaxAge != 3*time.Minute || sc.Storage != jetstream.MemoryStorage ||
		!slices.Equal(sc.Subjects, []string{"modgate.convo.>"}) {
		t.Fatalf("stream config %+v", sc)
	}
	if got := BatchSubject("p", "g/1"); got != "p.convo.batch.Zy8x" {
		t.Fatalf("subject %q", got)
	}
}

func TestCountSet(t *testing.T) {
	var s u64set
	s.table = make([]uint64, 2048)
	for _, n := range []int{0, 1, 2, 10, 300, 999, 1500} {
		s.reset()
		for i := 0; i < n; i++ {
			s.add(uint64(i) * 0x9e3779b97f4a7c15)
			s.add(uint64(i) * 0x9e3779b97f4a7c15)
		}
		if want := min(n, maxCount); s.n != want {
			t.Fatalf("%d values twice: n = %d, want %d", n, s.n, want)
		}
	}
}

// TestOpenWithoutItsStream: when JetStream will not create the stream
// (here another stream holds its subjects; on a cluster, no room), the
// Store still opens, says the window is unavailable, and takes the stream
// once it can.
func TestOpenWithoutItsStream(t *testing.T) {
	srv := natstest.Start(t)
	_, js := natstest.Connect(t, srv)
	ctx := context.Background()
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "SQUATTER", Subjects: []string{"modgate.convo.>"}}); err != nil {
		t.Fatal(err)
	}
	s, err := Open(ctx, Config{URL: srv.ClientURL(), Origin: "a"})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(s.Close)
	if s.Available() {
		t.Fatal("available without its stream")
	}
	if _, ok := s.Observe(msg("m", "t1", "g", "u", "好"), "好", settings(t)); ok {
		t.Fatal("Observe answered without the window")
	}
	if err := js.DeleteStream(ctx, "SQUATTER"); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, "the window to become available", 10*time.Second, s.Available)
	if _, err := js.Stream(ctx, Stream); err != nil {
		t.Fatalf("stream not created: %v", err)
	}
}
