package terminalgw_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/terminalgw"
)

// FuzzParseOfflineUpload feeds arbitrary bodies to the offline upload parser:
// it must never panic, and whatever it accepts must keep every rule (1 to 500
// records, a valid uid, counter and amount, a time not from the future), and
// read back the same from its own encoding.
func FuzzParseOfflineUpload(f *testing.F) {
	f.Add([]byte(`{"records":[{"card_uid":"A1B2C3D4","counter":1,"amount":250,"occurred_at":"2026-09-01T04:00:00Z"}]}`))
	f.Add([]byte(`{"records":[{"card_uid":"a1b2","counter":0,"amount":1,"occurred_at":"2026-09-01T12:00:00+08:00","request_id":"r-1"}]}`))
	f.Add([]byte(`{"records":[]}`))
	f.Add([]byte(`{"records":[{"card_uid":"A1B2C3D4","counter":-1,"amount":0,"occurred_at":"x"}]}`))
	f.Add([]byte(`{"records":null,"extra":1}`))
	f.Add([]byte(`[]`))
	now := time.Date(2026, 9, 1, 4, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte) {
		records, err := terminalgw.ParseOfflineUpload(body, now)
		if err != nil {
			if ledger.ErrorCode(err) != ledger.CodeInvalidRequest {
				t.Fatalf("refusal without INVALID_REQUEST: %v", err)
			}
			return
		}
		if len(records) == 0 || len(records) > terminalgw.MaxOfflineRecords {
			t.Fatalf("accepted %d records", len(records))
		}
		for _, r := range records {
			if _, err := ledger.NormalizeCardUID(r.CardUID); err != nil || r.Counter < 0 || r.Amount <= 0 ||
				r.Amount > ledger.MaxAmountFen || r.OccurredAt.After(now.Add(24*time.Hour)) {
				t.Fatalf("accepted a bad record: %+v", r)
			}
		}
		again, _ := json.Marshal(map[string]any{"records": records})
		back, err := terminalgw.ParseOfflineUpload(again, now)
		if err != nil || len(back) != len(records) {
			t.Fatalf("own encoding refused: %v %s", err, again)
		}
	})
}
