package terminalgw

import (
	"github.com/ecard/ecard/internal/httpjson"
	"github.com/ecard/ecard/ledger"
)

// chipRead is what a till or kiosk read from the card chip before asking for
// a write. The ledger grants one write per card at a time; the chip's record
// of its last write is what settles a write whose confirmation was lost.
type chipRead struct {
	// ChipHoldID is the last write the chip records: 0 when it records none,
	// absent when the terminal did not read the chip.
	ChipHoldID *int64 `json:"chip_hold_id"`
}

// lastWrite is the chip's record for the ledger (ledger.ChipNotRead: not read).
func (r chipRead) lastWrite() int64 {
	if r.ChipHoldID == nil {
		return ledger.ChipNotRead
	}
	return *r.ChipHoldID
}

func (r chipRead) validChipRead() error {
	if r.ChipHoldID != nil && *r.ChipHoldID < 0 {
		return httpjson.Invalid("chip_hold_id must not be negative")
	}
	return nil
}
