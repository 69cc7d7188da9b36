package bff

import (
	"errors"
	"strings"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/bff/wechat"
	"github.com/ecard/ecard/ledger"
)

// Per-minute limits on sign-in attempts.
const (
	loginPerIPPerMinute  = 30
	wechatPerIPPerMinute = 30
)

type loginRequest struct {
	School   string `json:"school"`
	Number   string `json:"number"`
	Password string `json:"password"`
}

func (r loginRequest) validate() error {
	return firstErr(text("school", r.School, 32), text("number", r.Number, 32), text("password", r.Password, 128))
}

// holderSummary is the holder part of a login answer.
type holderSummary struct {
	School             string `json:"school"`
	Number             string `json:"number"`
	Name               string `json:"name"`
	Kind               string `json:"kind"`
	Status             string `json:"status"`
	MustChangePassword bool   `json:"must_change_password"`
	MustChangePIN      bool   `json:"must_change_pin"`
}

type loginResponse struct {
	tokens
	Holder holderSummary `json:"holder"`
}

func (s *Server) summary(c fiber.Ctx, h ledger.Holder) (holderSummary, error) {
	school, err := s.ledger.SchoolByID(c.Context(), h.SchoolID)
	if err != nil {
		return holderSummary{}, err
	}
	return holderSummary{School: school.Code, Number: h.Number, Name: h.Name, Kind: h.Kind, Status: h.State(s.now()),
		MustChangePassword: h.MustChangePassword, MustChangePIN: h.MustChangePIN}, nil
}

// signedIn starts a session and answers with tokens and the holder.
func (s *Server) signedIn(c fiber.Ctx, h ledger.Holder) error {
	t, err := s.sessions.start(c.Context(), h.ID, h.SchoolID)
	if err != nil {
		return err
	}
	sum, err := s.summary(c, h)
	if err != nil {
		return err
	}
	return c.JSON(loginResponse{tokens: t, Holder: sum})
}

func (s *Server) handleLogin(c fiber.Ctx) error {
	if err := s.allow(c, "login:"+c.IP(), loginPerIPPerMinute); err != nil {
		return err
	}
	var req loginRequest
	if err := firstErr(decode(c, &req), req.validate()); err != nil {
		return err
	}
	h, err := s.ledger.LoginFrom(c.Context(), c.IP(), req.School, req.Number, req.Password)
	if err != nil {
		return err
	}
	return s.signedIn(c, h)
}

func (s *Server) handleWeChatLogin(c fiber.Ctx) error {
	if s.wechat == nil {
		return fail(ledger.CodeNotFound, "WeChat sign-in is not configured")
	}
	if err := s.allow(c, "wechat:"+c.IP(), wechatPerIPPerMinute); err != nil {
		return err
	}
	var req struct {
		Code string `json:"code"`
	}
	if err := firstErr(decode(c, &req), text("code", req.Code, 128)); err != nil {
		return err
	}
	sess, err := s.wechat.Code2Session(c.Context(), req.Code)
	switch {
	case errors.Is(err, wechat.ErrInvalidCode):
		return fail(ledger.CodeInvalidCredentials, "the WeChat login code is invalid or used")
	case errors.Is(err, wechat.ErrRateLimited):
		return fail("RATE_LIMITED", "WeChat is rate limiting sign-in, retry in a minute")
	case err != nil:
		s.log.Error("wechat code2session", "err", err)
		return fail("UNAVAILABLE", "WeChat sign-in is unavailable")
	}
	h, err := s.ledger.HolderByOpenID(c.Context(), sess.OpenID)
	if err == nil {
		if err := h.CanSignIn(s.now()); err != nil {
			return err
		}
		t, err := s.sessions.start(c.Context(), h.ID, h.SchoolID)
		if err != nil {
			return err
		}
		return c.JSON(fiber.Map{"bound": true, "access_token": t.AccessToken, "refresh_token": t.RefreshToken, "expires_in": t.ExpiresIn})
	}
	if ledger.ErrorCode(err) != ledger.CodeNotFound {
		return err
	}
	bind, err := s.sessions.bindToken(sess.OpenID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"bound": false, "bind_token": bind})
}

func (s *Server) handleBind(c fiber.Ctx) error {
	if err := s.allow(c, "login:"+c.IP(), loginPerIPPerMinute); err != nil {
		return err
	}
	var req struct {
		BindToken string `json:"bind_token"`
		loginRequest
	}
	if err := firstErr(decode(c, &req), text("bind_token", req.BindToken, 2048), req.validate()); err != nil {
		return err
	}
	claims, err := s.sessions.parse(req.BindToken, audBind)
	if err != nil || claims.OpenID == "" {
		return fail("UNAUTHENTICATED", "the bind token is invalid or expired: sign in with WeChat again")
	}
	h, err := s.ledger.LoginFrom(c.Context(), c.IP(), req.School, req.Number, req.Password)
	if err != nil {
		return err
	}
	if err := s.ledger.BindWeChat(c.Context(), h.ID, claims.OpenID); err != nil {
		return err
	}
	return s.signedIn(c, h)
}

func (s *Server) handleRefresh(c fiber.Ctx) error {
	var req struct {
		RefreshToken string `json:"refresh_token"`
	}
	if err := firstErr(decode(c, &req), text("refresh_token", req.RefreshToken, 200)); err != nil {
		return err
	}
	t, err := s.sessions.refresh(c.Context(), req.RefreshToken)
	if errors.Is(err, errSessionGone) {
		return fail("UNAUTHENTICATED", "the refresh token is invalid, used or revoked: sign in again")
	}
	if err != nil {
		return err
	}
	return c.JSON(t)
}

func (s *Server) handleLogout(c fiber.Ctx) error {
	if err := s.sessions.end(c.Context(), sessionID(c)); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// requireHolder admits a request with a valid access token of a live session.
func (s *Server) requireHolder(c fiber.Ctx) error {
	auth := c.Get(fiber.HeaderAuthorization)
	token, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || token == "" {
		return fail("UNAUTHENTICATED", "a bearer access token is required")
	}
	claims, holderID, err := s.sessions.holder(c.Context(), token)
	if err != nil {
		return fail("UNAUTHENTICATED", "the access token is invalid, expired or revoked")
	}
	c.Locals(localHolder, holderID)
	c.Locals(localSession, claims.SessionID)
	return c.Next()
}

type localKey int

const (
	localHolder localKey = iota
	localSession
	localAdmin
	localAdminSession
	localAuditTarget
	localAuditDetail
)

func holderID(c fiber.Ctx) int64 {
	id, _ := c.Locals(localHolder).(int64)
	return id
}

func sessionID(c fiber.Ctx) string {
	sid, _ := c.Locals(localSession).(string)
	return sid
}
