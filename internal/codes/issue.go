package codes

import (
	"context"
	"errors"
	"time"

	"github.com/ecard/ecard/qrcode"
	qrredis "github.com/ecard/ecard/qrcode/redis"
	"github.com/ecard/ecard/terminalgw"
)

// supersededRetries bounds how often one request asks again for a sequence
// because a concurrent request of the same holder made a newer pay code
// current first; each retry draws a higher sequence, so one of the racers
// wins every round.
const supersededRetries = 8

// issueLive signs a code and makes it live. Two pay-code requests of one
// holder at once both succeed: the one that lost the race for "current"
// draws a newer sequence and tries again, and the older code is retired.
func (s *Service) issueLive(ctx context.Context, k qrcode.Kind, school uint32, holder uint64, ttl time.Duration) (string, qrcode.Claims, string, error) {
	for attempt := 0; ; attempt++ {
		seq, err := s.store.Sequence(ctx, school, holder)
		if err != nil {
			return "", qrcode.Claims{}, "", err
		}
		code, claims, err := s.issuer.Issue(ctx, k, school, holder, seq)
		if err != nil {
			return "", qrcode.Claims{}, "", err
		}
		numeric, err := s.store.Activate(ctx, claims, code, ttl)
		if errors.Is(err, qrredis.ErrSuperseded) && attempt < supersededRetries {
			continue
		}
		if err != nil {
			return "", qrcode.Claims{}, "", refusal(err)
		}
		return code, claims, numeric, nil
	}
}

// Alive reports whether a verified code is still live in the store: not
// revoked (loss report, freeze), not superseded or consumed for a pay code,
// and issued since Redis last lost its state. Online gates ask it.
func (s *Service) Alive(ctx context.Context, c terminalgw.Code) (bool, error) {
	school, holder, err := ids(c.SchoolID, c.HolderID)
	if err != nil {
		return false, err
	}
	k, err := qrcode.ParseKind(c.Kind)
	if err != nil {
		return false, err
	}
	return s.store.Alive(ctx, qrcode.Claims{Kind: k, SchoolID: school, HolderID: holder, Seq: uint32(c.Seq)})
}
