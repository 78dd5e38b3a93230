package models

import "embed"

// Default holds the shipped models (*.mgm) and their model cards, built
// into the binary so the gateway scores without a models folder.
//
//go:embed *.mgm
var Default embed.FS
