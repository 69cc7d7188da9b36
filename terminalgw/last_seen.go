package terminalgw

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
)

// lastSeenEvery bounds how often a node writes a terminal's last_seen_at: a
// till sending a request a second costs one small update a minute.
const lastSeenEvery = time.Minute

// sawTerminal records, for the office's terminal list, that an authenticated
// request came from the terminal. A failed write only costs freshness.
func (g *Gateway) sawTerminal(c fiber.Ctx, id string) {
	now := g.now()
	g.mu.Lock()
	if last, ok := g.lastSeen[id]; ok && now.Sub(last) < lastSeenEvery {
		g.mu.Unlock()
		return
	}
	if len(g.lastSeen) >= maxCachedTerminals {
		g.lastSeen = map[string]time.Time{}
	}
	g.lastSeen[strings.Clone(id)] = now
	g.mu.Unlock()
	if err := g.ledger.TouchTerminal(c.Context(), id, now); err != nil {
		g.log.Warn("terminal last seen not recorded", "terminal", id, "err", err)
	}
}
