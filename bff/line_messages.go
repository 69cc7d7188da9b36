package bff

import (
	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/internal/messages"
	"github.com/ecard/ecard/ledger"
)

// lineText is a CSV line's problem in the request's language.
func lineText(c fiber.Ctx, english string) string {
	if text, ok := messages.For(c.Get(fiber.HeaderAcceptLanguage), english); ok {
		return text
	}
	return english
}

// localLines gives a batch's line problems in the request's language.
func localLines(c fiber.Ctx, lines []ledger.LineError) []ledger.LineError {
	out := make([]ledger.LineError, len(lines))
	for i, l := range lines {
		out[i] = l
		out[i].Message = lineText(c, l.Message)
	}
	return out
}

// localProblems gives an import's line problems in the request's language.
func localProblems(c fiber.Ctx, problems []ledger.ImportProblem) []ledger.ImportProblem {
	for i := range problems {
		problems[i].Message = lineText(c, problems[i].Message)
	}
	return problems
}
