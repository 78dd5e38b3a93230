package lexicons

import (
	"embed"
	"io/fs"

	"github.com/modgate/modgate"
)

// shipped is the curated starter set in this folder, built into the binary
// so `modgate check` and `serve` work without a lexicon folder.
//
//go:embed *.txt
var shipped embed.FS

// FS returns the shipped lexicon files.
func FS() fs.FS { return shipped }

// Default loads the shipped lexicon set.
func Default() (modgate.Lexicon, error) { return LoadFS(shipped) }
