package bff

import (
	"encoding/json"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// handleAdminSetPolicies is PUT /admin/api/v1/schools/{code}/policies: the
// body names only the policies to change, e.g. {"per_payment_limit_fen": 2000}.
// The audit log keeps every change as old→new.
func (s *Server) handleAdminSetPolicies(c fiber.Ctx) error {
	code := c.Params("code")
	setAudit(c, "school:"+code, "")
	var patch map[string]json.RawMessage
	if err := decode(c, &patch); err != nil {
		return err
	}
	school, changes, err := s.ledger.SetPolicies(c.Context(), code, patch)
	if err != nil {
		return err
	}
	setAudit(c, "school:"+code, ledger.DescribeChanges(changes))
	if changes == nil {
		changes = []ledger.PolicyChange{}
	}
	return c.JSON(fiber.Map{"code": school.Code, "name": school.Name, "policies": school.Policies, "changes": changes})
}
