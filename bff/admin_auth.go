package bff

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ecard/ecard/ledger"
)

// Admin tokens are short-lived bearer JWTs with their own audience, so a
// holder's token can never open the admin API.
const (
	audAdmin            = "ecard-admin"
	adminTokenTTL       = time.Hour
	adminLoginPerIPPerM = 20
)

type adminClaims struct {
	jwt.RegisteredClaims
	Role      string `json:"role"`
	SessionID string `json:"sid"`
}

type adminLoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type adminView struct {
	Username string `json:"username"`
	Role     string `json:"role"`
}

func (s *Server) handleAdminLogin(c fiber.Ctx) error {
	var req adminLoginRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := firstErr(text("username", req.Username, 64), text("password", req.Password, 128)); err != nil {
		return err
	}
	if err := s.allow(c, "admin-login:"+c.IP(), adminLoginPerIPPerM); err != nil {
		return err
	}
	a, err := s.ledger.AdminLoginFrom(c.Context(), c.IP(), req.Username, req.Password)
	entry := ledger.AuditEntry{Username: req.Username, Action: "POST /admin/api/v1/auth/login", Target: "admin:" + req.Username}
	if err == nil {
		entry.AdminID, entry.Role = &a.ID, a.Role
	}
	s.audit(c, entry, err)
	if err != nil {
		return err
	}
	sid, err := s.ledger.StartAdminSession(c.Context(), a.ID, adminTokenTTL)
	if err != nil {
		return err
	}
	now := s.now()
	token, err := jwt.NewWithClaims(jwt.SigningMethodHS256, adminClaims{Role: a.Role, SessionID: sid, RegisteredClaims: jwt.RegisteredClaims{
		Issuer: issuer, Audience: jwt.ClaimStrings{audAdmin}, Subject: strconv.FormatInt(a.ID, 10),
		IssuedAt: jwt.NewNumericDate(now), ExpiresAt: jwt.NewNumericDate(now.Add(adminTokenTTL)),
	}}).SignedString(s.sessions.key)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"access_token": token, "expires_in": int(adminTokenTTL.Seconds()),
		"admin": adminView{Username: a.Username, Role: a.Role}})
}

// requireAdmin admits a valid admin token whose session is still open (logout,
// a password reset and a role change end it); the role is read from the
// database, not the token.
func (s *Server) requireAdmin(c fiber.Ctx) error {
	token, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok || token == "" {
		return fail("UNAUTHENTICATED", "an admin bearer token is required")
	}
	var claims adminClaims
	_, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return s.sessions.key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}), jwt.WithIssuer(issuer),
		jwt.WithAudience(audAdmin), jwt.WithExpirationRequired(), jwt.WithTimeFunc(s.now), jwt.WithLeeway(5*time.Second))
	if err != nil {
		return fail("UNAUTHENTICATED", "the admin token is invalid or expired")
	}
	id, err := strconv.ParseInt(claims.Subject, 10, 64)
	if err != nil {
		return fail("UNAUTHENTICATED", "the admin token is invalid")
	}
	a, err := s.ledger.AdminSession(c.Context(), claims.SessionID, id)
	if ledger.ErrorCode(err) == ledger.CodeNotFound {
		return fail("UNAUTHENTICATED", "the admin session has ended: sign in again")
	}
	if err != nil {
		return err
	}
	c.Locals(localAdmin, a)
	c.Locals(localAdminSession, claims.SessionID)
	return c.Next()
}

// allowRoles lets only the given roles through; an auditor reads only.
func allowRoles(roles ...string) fiber.Handler {
	return func(c fiber.Ctx) error {
		a := currentAdmin(c)
		for _, r := range roles {
			if a.Role == r {
				return c.Next()
			}
		}
		return fail("FORBIDDEN", "role %s may not do this", a.Role)
	}
}

// Role sets for the admin routes.
var (
	writers = []string{ledger.RoleSuperadmin, ledger.RoleOperator}
	readers = []string{ledger.RoleSuperadmin, ledger.RoleOperator, ledger.RoleAuditor}
)

func currentAdmin(c fiber.Ctx) ledger.Admin {
	a, _ := c.Locals(localAdmin).(ledger.Admin)
	return a
}

// auditTrail writes every admin request to the audit log with its outcome:
// who (the admin), what (method and route, plus the target and detail the
// handler names with setAudit), when, from where. Secrets never go in.
func (s *Server) auditTrail(c fiber.Ctx) error {
	err := c.Next()
	a := currentAdmin(c)
	e := ledger.AuditEntry{AdminID: &a.ID, Username: a.Username, Role: a.Role, Action: c.Method() + " " + c.Route().Path}
	if t, ok := c.Locals(localAuditTarget).(string); ok {
		e.Target = t
	}
	if d, ok := c.Locals(localAuditDetail).(string); ok {
		e.Detail = d
	}
	s.audit(c, e, err)
	return err
}

func setAudit(c fiber.Ctx, target, detail string) {
	c.Locals(localAuditTarget, target)
	c.Locals(localAuditDetail, detail)
}

func (s *Server) audit(c fiber.Ctx, e ledger.AuditEntry, err error) {
	e.IP = c.IP()
	e.Outcome = "ok"
	if err != nil {
		e.Outcome = ledger.ErrorCode(err)
		var fe *fiber.Error
		if e.Outcome == "" && errors.As(err, &fe) {
			e.Outcome = "HTTP " + strconv.Itoa(fe.Code)
		} else if e.Outcome == "" {
			e.Outcome = "INTERNAL"
		}
	}
	// The log must be written even when the client went away.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(c.Context()), 5*time.Second)
	defer cancel()
	if _, aerr := s.ledger.Audit(ctx, e); aerr != nil {
		s.log.Error("audit log write failed", "action", e.Action, "err", aerr)
	}
}
