// Command genwords writes filters/words.txt.gz, the word list behind the
// `@boundary word` lexicon directive: Chinese words of 2-4 characters with
// a frequency of at least 10 in the jieba dictionary as shipped in the Go
// module github.com/go-ego/gse (data/dict/zh/s_1.txt; gse is Apache-2.0,
// the dictionary comes from github.com/fxsjy/jieba, MIT). Lines are
// "word log2(frequency)". The module is fetched with `go mod download`, so
// the project does not import it (its package embeds 38 MB of dictionaries).
//
// Run from the filters directory: go generate ./...
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Module is the gse version the list comes from.
const Module = "github.com/go-ego/gse@v0.80.3"

// MinFreq drops rare dictionary entries (many are n-grams, not words).
const MinFreq = 10

func main() {
	out := flag.String("o", "words.txt.gz", "output file")
	src := flag.String("src", "", "s_1.txt (default: from the module cache)")
	flag.Parse()
	if err := run(*src, *out); err != nil {
		fmt.Fprintln(os.Stderr, "genwords:", err)
		os.Exit(1)
	}
}

func run(src, out string) error {
	if src == "" {
		b, err := exec.Command("go", "mod", "download", "-json", Module).Output()
		if err != nil {
			return fmt.Errorf("go mod download %s: %w", Module, err)
		}
		var info struct{ Dir string }
		if err := json.Unmarshal(b, &info); err != nil || info.Dir == "" {
			return fmt.Errorf("go mod download %s: no module dir (%v)", Module, err)
		}
		src = filepath.Join(info.Dir, "data", "dict", "zh", "s_1.txt")
	}
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	freq := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		p := strings.Fields(sc.Text())
		if len(p) < 2 {
			continue
		}
		n, err := strconv.Atoi(p[1])
		if err != nil || n < MinFreq {
			continue
		}
		w := p[0]
		if l := utf8.RuneCountInString(w); l < 2 || l > 4 {
			continue
		}
		han := true
		for _, r := range w {
			han = han && unicode.Is(unicode.Han, r) && r >= 0x4E00 && r <= 0x9FFF
		}
		if han {
			freq[w] = max(freq[w], n)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	words := make([]string, 0, len(freq))
	for w := range freq {
		words = append(words, w)
	}
	sort.Strings(words)
	var b bytes.Buffer
	for _, w := range words {
		fmt.Fprintf(&b, "%s %d\n", w, int(math.Log2(float64(freq[w]))))
	}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.BestCompression)
	zw.Write(b.Bytes())
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(out, z.Bytes(), 0o644)
}
