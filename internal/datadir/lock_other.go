//go:build !unix

package datadir

import (
	"errors"
	"os"
)

var errWouldBlock = errors.New("locked")

// lockFile has no advisory lock to take on this platform; modgate's
// supported platforms are unix (the container image is Linux).
func lockFile(*os.File) error { return nil }
