package terminalgw

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/internal/httpjson"
	"github.com/ecard/ecard/ledger"
)

type accessRequest struct {
	RequestID string `json:"request_id"`
	Code      string `json:"code"`
	CardUID   string `json:"card_uid"`
}

type accessAnswer struct {
	Decision string        `json:"decision"`
	Reason   string        `json:"reason,omitempty"`
	Holder   *maskedHolder `json:"holder,omitempty"`
}

// Refusal reasons a gate shows.
const (
	reasonLost      = "CARD_LOST"
	reasonFrozen    = "ACCOUNT_FROZEN"
	reasonClosed    = "ACCOUNT_CLOSED"
	reasonExpired   = "CODE_EXPIRED"
	reasonNotHere   = "NOT_ADMITTED"
	reasonUnknownID = "CARD_UNKNOWN"
)

// admits applies the gate rules: a dorm gate ("dorm:N") admits holders of
// building N; a library gate admits students and staff; any other gate
// admits every holder in good standing.
func admits(place string, h ledger.Holder) bool {
	if building, ok := strings.CutPrefix(place, "dorm:"); ok {
		return h.DormBuilding != "" && h.DormBuilding == building
	}
	if place == "library" {
		return h.Kind == ledger.KindStudent || h.Kind == ledger.KindStaff
	}
	return true
}

// handleAccess decides at a gate with an identity code. Every decision is
// logged and shown to the holder as an access event.
func (g *Gateway) handleAccess(c fiber.Ctx) error {
	t := terminalOf(c)
	if t.Kind != ledger.TerminalGate && t.Kind != ledger.TerminalKiosk {
		return fail("FORBIDDEN", "only a gate or kiosk checks access")
	}
	var req accessRequest
	if err := httpjson.Decode(c, &req); err != nil {
		return err
	}
	if (req.Code == "") == (req.CardUID == "") || len(req.Code) > 200 || len(req.CardUID) > 32 {
		return httpjson.Invalid("give exactly one of code and card_uid")
	}
	return g.once(c, req.RequestID, func() (any, error) {
		ctx := c.Context()
		if req.CardUID != "" {
			return g.accessByCard(c, t, req)
		}
		code, err := g.codes.Verify(ctx, req.Code)
		if ledger.ErrorCode(err) == "CODE_EXPIRED" {
			return g.decide(c, t, req.RequestID, nil, "deny", reasonExpired)
		}
		if err != nil {
			return nil, err
		}
		if code.Kind != "identity" {
			return nil, fail("CODE_KIND", "a pay code does not open a gate")
		}
		if code.SchoolID != t.SchoolID {
			return nil, fail("CODE_INVALID", "the code is from another school")
		}
		alive, err := g.codes.Alive(ctx, code)
		if err != nil {
			return nil, err
		}
		h, err := g.ledger.HolderByID(ctx, code.HolderID)
		if err != nil {
			return nil, err
		}
		if state := h.State(g.now()); !alive && state != "lost" && state != ledger.StatusClosed && state != "expired" {
			// Revoked by a loss report or freeze since cancelled, or from
			// before Redis lost its state: the holder shows a fresh one.
			return g.decide(c, t, req.RequestID, nil, "deny", reasonExpired)
		}
		return g.decideHolder(c, t, req.RequestID, h)
	})
}

// decideHolder applies the holder's state and the gate's rules.
func (g *Gateway) decideHolder(c fiber.Ctx, t ledger.Terminal, requestID string, h ledger.Holder) (any, error) {
	school, err := g.ledger.SchoolByID(c.Context(), h.SchoolID)
	if err != nil {
		return nil, err
	}
	decision, reason := "allow", ""
	switch state := h.State(g.now()); {
	case state == ledger.StatusClosed || state == "expired":
		decision, reason = "deny", reasonClosed
	case state == "lost":
		decision, reason = "deny", reasonLost
	case state == ledger.StatusFrozen && !school.FrozenMayPassGates:
		decision, reason = "deny", reasonFrozen
	case !admits(t.Place, h):
		decision, reason = "deny", reasonNotHere
	}
	return g.decide(c, t, requestID, &h, decision, reason)
}

func (g *Gateway) decide(c fiber.Ctx, t ledger.Terminal, requestID string, h *ledger.Holder, decision, reason string) (any, error) {
	p := ledger.Passage{SchoolID: t.SchoolID, TerminalID: t.ID, RequestID: requestID, Decision: decision, Reason: reason}
	if h != nil {
		p.HolderID = &h.ID
	}
	if _, err := g.ledger.RecordPassage(c.Context(), p); err != nil {
		return nil, err
	}
	a := accessAnswer{Decision: decision, Reason: reason}
	if h != nil {
		a.Holder = &maskedHolder{Number: h.Number, NameMasked: MaskName(h.Name)}
	}
	return a, nil
}

// handleKeys lists the school's issuer public keys for offline checks.
func (g *Gateway) handleKeys(c fiber.Ctx) error {
	keys, err := g.codes.PublicKeys(c.Context(), terminalOf(c).SchoolID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"keys": keys})
}

type denyEntry struct {
	HolderID int64  `json:"holder_id"`
	Number   string `json:"number"`
	// CardUID names one replaced card; absent when the whole holder is meant.
	CardUID string `json:"card_uid,omitempty"`
}

// handleDenylist returns the holders added to and removed from the offline
// denylist since the version the terminal has.
func (g *Gateway) handleDenylist(c fiber.Ctx) error {
	since := int64(0)
	if raw := c.Query("since"); raw != "" {
		v, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || v < 0 {
			return httpjson.Invalid("since must be a version number")
		}
		since = v
	}
	changes, version, err := g.ledger.Denylist(c.Context(), terminalOf(c).SchoolID, since)
	if err != nil {
		return err
	}
	added, removed := []denyEntry{}, []denyEntry{}
	for _, ch := range changes {
		e := denyEntry{HolderID: ch.HolderID, Number: ch.Number, CardUID: ch.CardUID}
		if ch.Action == "add" {
			added = append(added, e)
		} else {
			removed = append(removed, e)
		}
	}
	return c.JSON(fiber.Map{"version": version, "added": added, "removed": removed})
}

// handleHeartbeat tells the terminal the server time and the configuration
// version, which changes when its issuer keys change.
func (g *Gateway) handleHeartbeat(c fiber.Ctx) error {
	if len(c.Body()) > 0 {
		var empty struct{}
		if err := httpjson.Decode(c, &empty); err != nil {
			return err
		}
	}
	t := terminalOf(c)
	keys, err := g.codes.PublicKeys(c.Context(), t.SchoolID)
	if err != nil {
		return err
	}
	version := "k"
	for _, k := range keys {
		version += "." + strconv.Itoa(k.KeyID)
	}
	return c.JSON(fiber.Map{"server_time": g.now().UTC().Format("2006-01-02T15:04:05Z"), "config_version": version,
		"terminal": fiber.Map{"id": t.ID, "kind": t.Kind, "place": t.Place}})
}
