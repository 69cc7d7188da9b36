// Package configs holds the default configuration, embedded in the binary so
// `ecard serve` runs with no file at all.
package configs

import _ "embed"

// Default is configs/ecard.yaml: every setting with its default and a comment.
//
//go:embed ecard.yaml
var Default []byte

// Demo is configs/demo.yaml: the demo school, its people, merchant and terminals.
//
//go:embed demo.yaml
var Demo []byte
