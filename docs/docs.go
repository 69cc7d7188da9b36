// Package docs embeds the published API description.
package docs

import _ "embed"

// OpenAPI is docs/openapi.yaml, served at /api/openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
