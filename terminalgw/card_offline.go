package terminalgw

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/internal/apierr"
	"github.com/ecard/ecard/internal/httpjson"
	"github.com/ecard/ecard/ledger"
)

// MaxOfflineRecords bounds one upload; a till with more sends several.
const MaxOfflineRecords = 500

// offlineFutureSkew is how far ahead of the server a record's time may be.
const offlineFutureSkew = 24 * time.Hour

// OfflineRecord is one purse debit in an upload.
type OfflineRecord struct {
	CardUID    string    `json:"card_uid"`
	Counter    int64     `json:"counter"`
	Amount     int64     `json:"amount"`
	OccurredAt time.Time `json:"occurred_at"`
	RequestID  string    `json:"request_id,omitempty"`
}

type offlineUpload struct {
	Records []json.RawMessage `json:"records"`
}

// ParseOfflineUpload reads an upload body strictly: one object with 1 to
// MaxOfflineRecords records, each with a card uid, a counter, a positive
// amount and its time (RFC 3339, not from the future). A record that breaks a
// rule fails the whole upload, which changes nothing.
func ParseOfflineUpload(body []byte, now time.Time) ([]OfflineRecord, error) {
	var up offlineUpload
	if err := strictJSON(body, &up); err != nil {
		return nil, err
	}
	if len(up.Records) == 0 || len(up.Records) > MaxOfflineRecords {
		return nil, httpjson.Invalid("records must hold 1 to %d records", MaxOfflineRecords)
	}
	out := make([]OfflineRecord, len(up.Records))
	for i, raw := range up.Records {
		var r struct {
			CardUID    *string `json:"card_uid"`
			Counter    *int64  `json:"counter"`
			Amount     *int64  `json:"amount"`
			OccurredAt *string `json:"occurred_at"`
			RequestID  string  `json:"request_id"`
		}
		if err := strictJSON(raw, &r); err != nil {
			return nil, httpjson.Invalid("record %d: %s", i, errMessage(err))
		}
		if r.CardUID == nil || r.Counter == nil || r.Amount == nil || r.OccurredAt == nil {
			return nil, httpjson.Invalid("record %d: card_uid, counter, amount and occurred_at are required", i)
		}
		if _, err := ledger.NormalizeCardUID(*r.CardUID); err != nil {
			return nil, httpjson.Invalid("record %d: card_uid must be 4-32 letters or digits", i)
		}
		at, err := time.Parse(time.RFC3339, *r.OccurredAt)
		switch {
		case *r.Counter < 0 || *r.Counter > 1<<40:
			return nil, httpjson.Invalid("record %d: counter must be 0 to %d", i, int64(1)<<40)
		case *r.Amount <= 0 || *r.Amount > ledger.MaxAmountFen:
			return nil, httpjson.Invalid("record %d: amount must be 1 to %d fen", i, ledger.MaxAmountFen)
		case err != nil || at.Year() < 2000:
			return nil, httpjson.Invalid("record %d: occurred_at must be an RFC 3339 time", i)
		case at.After(now.Add(offlineFutureSkew)):
			return nil, httpjson.Invalid("record %d: occurred_at is in the future", i)
		case r.RequestID != "" && !requestIDPattern.MatchString(r.RequestID):
			return nil, httpjson.Invalid("record %d: request_id must be 1-64 letters, digits, '_', '.', ':' or '-'", i)
		}
		out[i] = OfflineRecord{CardUID: *r.CardUID, Counter: *r.Counter, Amount: *r.Amount, OccurredAt: at.UTC(), RequestID: r.RequestID}
	}
	return out, nil
}

func strictJSON(raw []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return httpjson.Invalid("malformed JSON: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return httpjson.Invalid("body must be a single JSON object")
	}
	return nil
}

func errMessage(err error) string {
	var le *ledger.Error
	if errors.As(err, &le) {
		return le.Message
	}
	return err.Error()
}

type offlineResult struct {
	CardUID   string         `json:"card_uid"`
	Counter   int64          `json:"counter"`
	RequestID string         `json:"request_id,omitempty"`
	Status    string         `json:"status"`
	Error     *apierr.Detail `json:"error,omitempty"`
}

// handleOffline settles a till's store-and-forward upload: each record once
// per (terminal, card, counter). The answer lists every record's outcome in
// order: settled, duplicate (settled before) or refused with an error code.
func (g *Gateway) handleOffline(c fiber.Ctx) error {
	t := terminalOf(c)
	if t.Kind != ledger.TerminalPOS || t.MerchantID == nil {
		return fail("FORBIDDEN", "only a pos terminal uploads offline spending")
	}
	if !strings.HasPrefix(strings.ToLower(c.Get(fiber.HeaderContentType)), fiber.MIMEApplicationJSON) {
		return httpjson.Invalid("body must be application/json")
	}
	records, err := ParseOfflineUpload(c.Body(), g.now())
	if err != nil {
		return err
	}
	results := make([]offlineResult, len(records))
	for i, r := range records {
		status, err := g.ledger.SettleOffline(c.Context(), ledger.OfflineRecord{SchoolID: t.SchoolID, TerminalID: t.ID,
			MerchantID: *t.MerchantID, CardUID: r.CardUID, Counter: r.Counter, AmountFen: r.Amount, OccurredAt: r.OccurredAt})
		res := offlineResult{CardUID: r.CardUID, Counter: r.Counter, RequestID: r.RequestID, Status: status}
		if err != nil {
			code := ledger.ErrorCode(err)
			if code == "" {
				return fmt.Errorf("offline record %d: %w", i, err) // an outage: the till uploads again
			}
			_, body := apierr.Render(code, c.Get(fiber.HeaderAcceptLanguage), errMessage(err))
			res.Status, res.Error = ledger.OfflineRefused, &body.Error
		}
		results[i] = res
	}
	return c.JSON(fiber.Map{"results": results})
}
