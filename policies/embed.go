// Package policies loads the Rego policies that turn what the filter found
// in a message into a verdict (allow / review / block, labels, reasons, a
// 3-2-1 enforcement recommendation), runs their tests, and evaluates them.
//
// The policies see a small feature vector built in Go (see README.md in this
// folder), not the message text: matching stays in Go, and identical
// vectors give identical decisions, which lets the engine memoise them.
package policies

import "embed"

// Default holds the shipped policies, their tests and data.json.
//
//go:embed *.rego data.json
var Default embed.FS
