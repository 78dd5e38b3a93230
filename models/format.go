package models

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
)

// File layout (format version 1), all integers little-endian:
//
//	magic    8 bytes  "MODGATEM"
//	version  uint16   1
//	hdrlen   uint32   length of the JSON header
//	header   hdrlen bytes of JSON (Header)
//	weights  Dim() weights: float32 ("f32") or int8 × Scale ("i8"),
//	         the hashed buckets then the extras
//	checksum 32 bytes SHA-256 of everything before it
//
// The header is JSON so a person can read it with `head -c`, and so the
// training metadata can grow without a format change; the weights are
// binary because there are millions of them.
const (
	Magic         = "MODGATEM"
	FormatVersion = 1
	// Ext is the file extension of model files.
	Ext = ".mgm"
	// MaxFileBytes caps one model file: a bigger one is refused before it is
	// read (memory, and the 16 MiB target).
	MaxFileBytes = 16 << 20
	maxHeader    = 1 << 20
	prefixLen    = 8 + 2 + 4
)

// Weight encodings.
const (
	EncF32 = "f32"
	EncI8  = "i8"
)

// Calibration turns the model's raw logit z into a probability
// p = 1/(1+exp(-(A·z+B))) (Platt scaling, fitted on the dev split). Method
// "none" means A=1, B=0.
type Calibration struct {
	Method string  `json:"method"`
	A      float64 `json:"a"`
	B      float64 `json:"b"`
}

// Header is the JSON part of a model file.
type Header struct {
	Label       string      `json:"label"`
	Features    Features    `json:"features"`
	Encoding    string      `json:"encoding"`
	Scale       float64     `json:"scale,omitempty"` // i8: weight = q × Scale
	Bias        float64     `json:"bias"`
	Calibration Calibration `json:"calibration"`
	// Training is free-form metadata (date, seed, sources, figures) for the
	// model card and `modgate eval`; inference ignores it.
	Training json.RawMessage `json:"training,omitempty"`
}

// LabelRe is what a model label must look like (it becomes a file name, a
// Rego key and a JSON key).
var LabelRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

// Model is one decoded model file.
type Model struct {
	Header
	// W holds Dim() weights (dequantised when the file is i8).
	W []float32
	// q holds the int8 weights of an i8 file (nil for f32).
	q []int8
	// Sum is the hex SHA-256 of the whole file.
	Sum string
	// File is the name it was loaded from ("" when decoded from bytes).
	File string
}

// Encode writes a model file. w must hold h.Features.Dim() weights. With
// EncI8 the weights are quantised to int8 with one scale (max |w| / 127) and
// h.Scale is set.
func Encode(out io.Writer, h Header, w []float32) error {
	if err := h.Features.Validate(); err != nil {
		return fmt.Errorf("models: encode %s: features: %w", h.Label, err)
	}
	if len(w) != h.Features.Dim() {
		return fmt.Errorf("models: encode %s: %d weights, want %d", h.Label, len(w), h.Features.Dim())
	}
	var payload []byte
	switch h.Encoding {
	case EncF32:
		payload = make([]byte, 4*len(w))
		for i, x := range w {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("models: encode %s: weight %d is %v", h.Label, i, x)
			}
			binary.LittleEndian.PutUint32(payload[4*i:], math.Float32bits(x))
		}
	default:
		return fmt.Errorf("models: encode %s: unknown weight encoding %q", h.Label, h.Encoding)
	case EncI8:
		m := 0.0
		for i, x := range w {
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return fmt.Errorf("models: encode %s: weight %d is %v", h.Label, i, x)
			}
			m = math.Max(m, math.Abs(float64(x)))
		}
		if m == 0 {
			m = 1
		}
		h.Scale = m / 127
		payload = make([]byte, len(w))
		for i, x := range w {
			payload[i] = byte(int8(math.Round(float64(x) / h.Scale)))
		}
	}
	if err := h.validate(); err != nil {
		return fmt.Errorf("models: encode %s: %w", h.Label, err)
	}
	hdr, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("models: encode %s: %w", h.Label, err)
	}
	var buf bytes.Buffer
	buf.Grow(prefixLen + len(hdr) + len(payload) + sha256.Size)
	buf.WriteString(Magic)
	_ = binary.Write(&buf, binary.LittleEndian, uint16(FormatVersion))
	_ = binary.Write(&buf, binary.LittleEndian, uint32(len(hdr)))
	buf.Write(hdr)
	buf.Write(payload)
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	if buf.Len() > MaxFileBytes {
		return fmt.Errorf("models: encode %s: file would be %d bytes, limit %d (fewer buckets or encoding i8)", h.Label, buf.Len(), MaxFileBytes)
	}
	_, err = out.Write(buf.Bytes())
	return err
}

func (h *Header) validate() error {
	if !LabelRe.MatchString(h.Label) {
		return fmt.Errorf("label %q: want lower-case letters, digits and _ (at most 32, starting with a letter)", h.Label)
	}
	if err := h.Features.Validate(); err != nil {
		return fmt.Errorf("features: %w", err)
	}
	switch h.Encoding {
	case EncF32:
	case EncI8:
		if !(h.Scale > 0) || math.IsInf(h.Scale, 0) {
			return fmt.Errorf("i8 encoding needs a positive scale, got %v", h.Scale)
		}
	default:
		return fmt.Errorf("unknown weight encoding %q (want %q or %q)", h.Encoding, EncF32, EncI8)
	}
	if !finite(h.Bias) {
		return fmt.Errorf("bias is %v", h.Bias)
	}
	switch h.Calibration.Method {
	case "platt":
		if !finite(h.Calibration.A) || !finite(h.Calibration.B) || h.Calibration.A <= 0 {
			return fmt.Errorf("platt calibration needs finite a > 0 and b, got a=%v b=%v", h.Calibration.A, h.Calibration.B)
		}
	case "none":
	default:
		return fmt.Errorf("unknown calibration %q (want platt or none)", h.Calibration.Method)
	}
	return nil
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Decode reads a model file's bytes. name is used in errors and kept in
// Model.File. A file that is truncated, corrupt (checksum), of another
// format version, or whose header or weights are out of range is refused
// with an error saying which and why.
func Decode(name string, data []byte) (*Model, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("models: %s: %s", name, fmt.Sprintf(format, args...))
	}
	if len(data) > MaxFileBytes {
		return nil, bad("%d bytes, limit %d", len(data), MaxFileBytes)
	}
	if len(data) < prefixLen+sha256.Size {
		if len(data) >= len(Magic) && string(data[:len(Magic)]) != Magic {
			return nil, bad("not a model file (bad magic)")
		}
		return nil, bad("truncated (%d bytes)", len(data))
	}
	if string(data[:len(Magic)]) != Magic {
		return nil, bad("not a model file (bad magic)")
	}
	if v := binary.LittleEndian.Uint16(data[8:]); v != FormatVersion {
		return nil, bad("format version %d not supported (this build reads version %d)", v, FormatVersion)
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	want := sha256.Sum256(body)
	if !bytes.Equal(want[:], sum) {
		return nil, bad("checksum mismatch: the file is corrupt or truncated")
	}
	hl := binary.LittleEndian.Uint32(data[10:])
	if hl > maxHeader || int(hl) > len(body)-prefixLen {
		return nil, bad("header length %d out of range", hl)
	}
	var h Header
	dec := json.NewDecoder(bytes.NewReader(body[prefixLen : prefixLen+int(hl)]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&h); err != nil {
		return nil, bad("header: %v", err)
	}
	if err := h.validate(); err != nil {
		return nil, bad("header: %v", err)
	}
	payload := body[prefixLen+int(hl):]
	dim := h.Features.Dim()
	m := &Model{Header: h, File: name, W: make([]float32, dim)}
	full := sha256.Sum256(data)
	m.Sum = hex.EncodeToString(full[:])
	switch h.Encoding {
	case EncF32:
		if len(payload) != 4*dim {
			return nil, bad("weights: %d bytes, want %d (%d float32)", len(payload), 4*dim, dim)
		}
		for i := range m.W {
			x := math.Float32frombits(binary.LittleEndian.Uint32(payload[4*i:]))
			if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
				return nil, bad("weight %d is %v", i, x)
			}
			m.W[i] = x
		}
	case EncI8:
		if len(payload) != dim {
			return nil, bad("weights: %d bytes, want %d (%d int8)", len(payload), dim, dim)
		}
		m.q = make([]int8, dim)
		for i, b := range payload {
			m.q[i] = int8(b)
			m.W[i] = float32(float64(int8(b)) * h.Scale)
		}
	}
	return m, nil
}
