package bff

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// A parent follows a recharge without an account. Knowing the order number is
// not enough to see it (numbers can be read off a shoulder or guessed): the
// request also brings the phone given at recharge (?phone=), or the order's
// status token from the recharge answer (?token=), or the access token of
// the holder the order is for. Anyone else is told the order does not exist.

// statusToken is the order's status token: an HMAC of its number under the
// server's key, so no node needs to store it.
func (s *Server) statusToken(orderNo string) string {
	m := hmac.New(sha256.New, s.sessions.key)
	m.Write([]byte("recharge-status:" + orderNo))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:18])
}

// mayFollow reports whether the request may see order o.
func (s *Server) mayFollow(c fiber.Ctx, o ledger.Order) bool {
	same := func(a, b string) bool { return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	if same(c.Query("token"), s.statusToken(o.OrderNo)) || samePhone(o.Phone, c.Query("phone")) {
		return true
	}
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok {
		return false
	}
	_, holderID, err := s.sessions.holder(c.Context(), token)
	return err == nil && holderID == o.HolderID
}
