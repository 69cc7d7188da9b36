package bff

import (
	"strings"

	"github.com/gofiber/fiber/v3"
)

// pageCSP keeps every page on its own origin: scripts, styles, fonts and API
// calls come from here; images may also be data: URLs (the QR codes arrive as
// base64 PNGs). Inline styles stay allowed for the components' style bindings.
const pageCSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// pageEntries are the front-ends served from their own folder in web/dist;
// the bare path redirects to the folder so relative URLs resolve.
var pageEntries = map[string]bool{"/recharge": true, "/admin": true}

// pageRoutes mounts what the web front-ends need beyond the static files.
func (s *Server) pageRoutes() {
	s.app.Use(func(c fiber.Ctx) error {
		path := c.Path()
		if isAPIPath(path) {
			return c.Next()
		}
		if pageEntries[path] {
			return c.Redirect().Status(fiber.StatusFound).To(path + "/")
		}
		c.Set("Content-Security-Policy", pageCSP)
		c.Set("X-Content-Type-Options", "nosniff")
		c.Set("Referrer-Policy", "no-referrer")
		c.Set("X-Frame-Options", "DENY")
		// Built assets carry a content hash in their name and never change;
		// the HTML entry points must be asked for again to pick up a new build.
		if strings.HasPrefix(path, "/assets/") {
			c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		} else {
			c.Set(fiber.HeaderCacheControl, "no-cache")
		}
		return c.Next()
	})
}

// isAPIPath tells machine routes from pages: they keep their own headers.
func isAPIPath(path string) bool {
	for _, p := range []string{"/api/", "/admin/api/", "/tgw/", "/pay/", "/sandbox/", "/metrics", "/healthz"} {
		if strings.HasPrefix(path, p) {
			return true
		}
	}
	return false
}
