package review

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	fastjson "github.com/goccy/go-json"
	"github.com/modgate/modgate"
	"github.com/nats-io/nats.go/jetstream"
)

// BucketCaseBodies is the object store holding the bulky part of cases too
// large for one KV value (NATS max_payload, 1 MiB by default). A hostile
// text inside every limit can still make one: JSON escapes '<' as six bytes
// and a case holds the text three times (original, masked, the verdict's
// masked copy), plus member reports. Such a case is stored in two parts
// rather than truncated: the KV value keeps everything the queue indexes
// and writes with compare-and-set (state, lease, history, decision, a
// preview), the object store keeps the text parts under a content-addressed
// name the KV value points at.
const BucketCaseBodies = "MODGATE_CASE_BODIES"

// caseHeadroom is kept free under max_payload for the KV write's headers.
const caseHeadroom = 8 << 10

// previewRunes is how much masked text a split case keeps in its KV value
// (the index shows 120 runes).
const previewRunes = 512

// caseBody is the bulky part of a split case.
type caseBody struct {
	Text       string           `json:"text"`
	Context    map[string]any   `json:"context,omitempty"`
	MaskedText string           `json:"masked_text"`
	Normalized string           `json:"normalized,omitempty"`
	Verdict    *modgate.Verdict `json:"verdict,omitempty"`
	Reports    []modgate.Report `json:"reports,omitempty"`
	// Window is the case's conversation context (Case.Context).
	Window []modgate.ContextMessage `json:"window,omitempty"`
}

// storedCase is the KV value: a case, and for a split one the name of its
// body object.
type storedCase struct {
	modgate.Case
	BodyRef string `json:"body_ref,omitempty"`
}

// maxCaseBytes is the largest KV value written as is.
func (q *Queue) maxCaseBytes() int {
	if q.cfg.MaxCaseBytes > 0 {
		return q.cfg.MaxCaseBytes
	}
	return int(q.nc.MaxPayload()) - caseHeadroom
}

// encodeCase returns the full encoding of c and the KV value to write: the
// same bytes when they fit, else a stub after the body went to the object
// store (ref names it).
func (q *Queue) encodeCase(ctx context.Context, c *modgate.Case) (full, value []byte, ref string, err error) {
	full, err = fastjson.Marshal(c)
	if err != nil {
		return nil, nil, "", fmt.Errorf("review: encode case %s: %w", c.ID, err)
	}
	if len(full) <= q.maxCaseBytes() {
		return full, full, "", nil
	}
	body := caseBody{Text: c.Message.Text, Context: c.Message.Context, MaskedText: c.MaskedText, Normalized: c.Normalized, Verdict: c.Verdict, Reports: c.Reports, Window: c.Context}
	bb, err := fastjson.Marshal(body)
	if err != nil {
		return nil, nil, "", fmt.Errorf("review: encode case body %s: %w", c.ID, err)
	}
	sum := sha256.Sum256(bb)
	ref = c.ID + "." + hex.EncodeToString(sum[:12])
	if err := q.putBody(ctx, ref, bb); err != nil {
		return nil, nil, "", err
	}
	stub := storedCase{Case: *c, BodyRef: ref}
	stub.Message.Text, stub.Message.Context, stub.Normalized, stub.Verdict, stub.Reports, stub.Context = "", nil, "", nil, nil, nil
	stub.MaskedText = truncateRunes(c.MaskedText, previewRunes)
	value, err = fastjson.Marshal(stub)
	if err != nil {
		return nil, nil, "", fmt.Errorf("review: encode case %s: %w", c.ID, err)
	}
	if len(value) > q.maxCaseBytes() {
		// Only history and decision remain, both bounded; this means the
		// server's max_payload is absurdly small.
		return nil, nil, "", fmt.Errorf("review: case %s: %d bytes even without its text; NATS max_payload is too small", c.ID, len(value))
	}
	return full, value, ref, nil
}

// putBody stores a body once (the name is its hash: an existing object
// with that name has these bytes).
func (q *Queue) putBody(ctx context.Context, ref string, b []byte) error {
	if _, err := q.bodies.GetInfo(ctx, ref); err == nil {
		return nil
	} else if !errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("review: case body %s: %w", ref, err)
	}
	if _, err := q.bodies.PutBytes(ctx, ref, b); err != nil {
		return fmt.Errorf("review: store case body %s: %w", ref, err)
	}
	return nil
}

// decodeCase reads a KV value, fetching the body of a split case.
func (q *Queue) decodeCase(ctx context.Context, id string, v []byte) (*modgate.Case, string, error) {
	var sc storedCase
	if err := fastjson.Unmarshal(v, &sc); err != nil {
		return nil, "", fmt.Errorf("review: decode case %s: %w", id, err)
	}
	if sc.BodyRef == "" {
		return &sc.Case, "", nil
	}
	bb, err := q.bodies.GetBytes(ctx, sc.BodyRef)
	if err != nil {
		return nil, "", fmt.Errorf("review: case %s body %s: %w", id, sc.BodyRef, err)
	}
	var body caseBody
	if err := fastjson.Unmarshal(bb, &body); err != nil {
		return nil, "", fmt.Errorf("review: decode case body %s: %w", sc.BodyRef, err)
	}
	c := sc.Case
	c.Message.Text, c.Message.Context, c.MaskedText, c.Normalized, c.Verdict, c.Reports = body.Text, body.Context, body.MaskedText, body.Normalized, body.Verdict, body.Reports
	c.Context = body.Window
	return &c, sc.BodyRef, nil
}

// dropBody deletes a body object no longer referenced (best effort: an
// orphan only costs space and goes with the case's subject deletion).
func (q *Queue) dropBody(ctx context.Context, ref string) {
	if ref == "" {
		return
	}
	if err := q.bodies.Delete(ctx, ref); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
		q.log.Warn("review: delete old case body", "ref", ref, "err", err)
	}
}

// dropBodies deletes every body object of case id (subject deletion).
func (q *Queue) dropBodies(ctx context.Context, id string) error {
	objs, err := q.bodies.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("review: list case bodies: %w", err)
	}
	for _, o := range objs {
		if strings.HasPrefix(o.Name, id+".") {
			if err := q.bodies.Delete(ctx, o.Name); err != nil && !errors.Is(err, jetstream.ErrObjectNotFound) {
				return fmt.Errorf("review: delete case body %s: %w", o.Name, err)
			}
		}
	}
	return nil
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	i := 0
	for k := 0; k < n; k++ {
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
	}
	return s[:i]
}
