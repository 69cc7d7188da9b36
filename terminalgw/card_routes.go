package terminalgw

import "github.com/gofiber/fiber/v3"

// cardRoutes mounts the card routes: claims, kiosk and offline upload.
func (g *Gateway) cardRoutes(v1 fiber.Router) {}
