package bff

import (
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/adaptor"
	"github.com/gofiber/fiber/v3/middleware/recover"
	"github.com/gofiber/fiber/v3/middleware/requestid"
	"github.com/gofiber/fiber/v3/middleware/static"

	"github.com/ecard/ecard/web"
)

// routes is every route the server answers, in one place. docs/openapi.yaml
// documents each one; a test keeps the two in step.
func (s *Server) routes(mount []func(fiber.Router)) {
	s.app.Use(recover.New())
	s.app.Use(requestid.New())
	s.app.Use(s.observe())

	s.app.Get("/healthz", s.handleHealth)
	s.app.Get("/metrics", s.requireMetricsToken, adaptor.HTTPHandler(s.MetricsHandler()))
	s.app.Get("/api/openapi.yaml", s.handleOpenAPI)

	v1 := s.app.Group("/api/v1")
	v1.Post("/auth/login", s.handleLogin)
	v1.Post("/auth/wechat", s.handleWeChatLogin)
	v1.Post("/auth/bind", s.handleBind)
	v1.Post("/auth/refresh", s.handleRefresh)
	v1.Post("/auth/logout", s.requireHolder, s.handleLogout)

	me := v1.Group("/me", s.requireHolder)
	me.Get("", s.handleMe)
	me.Get("/transactions", s.handleTransactions)
	me.Get("/events", s.handleEvents)
	me.Post("/codes", s.handleCodes)
	me.Put("/password", s.handlePassword)
	me.Put("/limits", s.handleLimits)
	me.Post("/loss", s.handleLoss)
	me.Delete("/loss", s.handleLoss)
	me.Post("/topups", s.handleTopup)
	me.Get("/topups/:order_no", s.handleMyTopup)

	v1.Get("/schools", s.handleSchools)
	v1.Get("/topup-channels", s.handleTopupChannels)
	v1.Post("/recharge", s.handleRecharge)
	v1.Get("/recharge/:order_no", s.handleRechargeStatus)
	s.app.Post("/pay/notify/:provider", s.handleNotify)
	s.app.Post("/sandbox/pay/:order_no", s.handleSandboxPay)

	s.app.Post("/admin/api/v1/auth/login", s.handleAdminLogin)
	admin := s.app.Group("/admin/api/v1", s.requireAdmin, s.auditTrail)
	read, write := allowRoles(readers...), allowRoles(writers...)
	admin.Get("/topups", read, s.handleAdminTopups)
	admin.Post("/topups/:order_no/refund", write, s.handleAdminTopupRefund)
	admin.Get("/reports/topups", read, s.handleAdminTopupReport)
	admin.Get("/audit", read, s.handleAdminAudit)
	admin.Post("/reconciliations", write, s.handleAdminReconcile)
	admin.Get("/reconciliations", read, s.handleAdminReconciliations)
	admin.Get("/reconciliations/:id", read, s.handleAdminReconciliation)
	s.adminHolderRoutes(admin, read, write)
	s.adminOfficeRoutes(admin, read, write)
	s.adminCardRoutes(admin, read, write)
	s.adminDailyRoutes(admin, read)

	s.pageRoutes()

	for _, m := range mount {
		m(s.app)
	}

	s.app.Use("/admin/api", func(c fiber.Ctx) error { return writeError(c, "NOT_FOUND", "no such API route") })
	s.app.Use("/api", func(c fiber.Ctx) error { return writeError(c, "NOT_FOUND", "no such API route") })
	s.app.Use("/", static.New("", static.Config{FS: web.Dist()}))
	s.app.Use(func(c fiber.Ctx) error { return writeError(c, "NOT_FOUND", "") })
}
