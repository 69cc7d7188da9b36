package bff

import (
	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/docs"
)

func (s *Server) handleOpenAPI(c fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "application/yaml; charset=utf-8")
	return c.Send(docs.OpenAPI)
}
