package bff

import (
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// schoolDirectory caches the list of schools for the public search: it is
// asked on every keystroke of the parent page and changes rarely.
type schoolDirectory struct {
	mu      sync.Mutex
	loaded  time.Time
	schools []ledger.School
}

const (
	schoolCacheTTL     = time.Minute
	maxSchoolResults   = 20
	schoolQueryMaxRune = 32
)

func (s *Server) handleSchools(c fiber.Ctx) error {
	q := strings.ToLower(strings.TrimSpace(c.Query("q")))
	if len([]rune(q)) > schoolQueryMaxRune {
		return invalid("q must be at most %d characters", schoolQueryMaxRune)
	}
	schools, err := s.directory(c)
	if err != nil {
		return err
	}
	type item struct {
		Code string `json:"code"`
		Name string `json:"name"`
	}
	items := []item{}
	for _, sc := range schools {
		if len(items) == maxSchoolResults {
			break
		}
		if q == "" || strings.Contains(strings.ToLower(sc.Name), q) || strings.HasPrefix(sc.Pinyin, q) ||
			strings.HasPrefix(strings.ToLower(sc.Code), q) {
			items = append(items, item{Code: sc.Code, Name: sc.Name})
		}
	}
	return c.JSON(fiber.Map{"items": items})
}

func (s *Server) directory(c fiber.Ctx) ([]ledger.School, error) {
	d := &s.schools
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.schools != nil && s.now().Sub(d.loaded) < schoolCacheTTL {
		return d.schools, nil
	}
	list, err := s.ledger.Schools(c.Context())
	if err != nil {
		return nil, err
	}
	d.schools, d.loaded = list, s.now()
	return list, nil
}
