package terminalgw

import (
	"strconv"

	"github.com/gofiber/fiber/v3"
)

// cardRoutes mounts the card routes: claims, kiosk and offline upload.
func (g *Gateway) cardRoutes(v1 fiber.Router) {
	v1.Post("/cards/claim", g.handleClaim)
	v1.Post("/cards/claim/confirm", g.handleConfirm)
	v1.Post("/offline", g.handleOffline)
	v1.Post("/kiosk/holder", kioskRoute(g, g.kioskHolder))
	v1.Post("/kiosk/claim", kioskRoute(g, g.kioskClaim))
	v1.Post("/kiosk/loss", kioskRoute(g, g.kioskLossReport))
	v1.Post("/kiosk/password", kioskRoute(g, g.kioskChangePassword))
	v1.Post("/kiosk/transfer", kioskRoute(g, g.kioskTransferMoney))
	v1.Post("/kiosk/cash", kioskRoute(g, g.kioskCashTopUp))
	v1.Post("/kiosk/unfreeze", kioskRoute(g, g.kioskUnfreezeHolder))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
