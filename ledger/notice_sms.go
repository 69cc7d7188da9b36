package ledger

import (
	"encoding/json"

	"gorm.io/gorm"
)

// NoticeRechargeSMS is the outbox kind of the SMS a parent gets when a
// recharge they left a phone number with is credited. It is written in the
// credit's transaction and sent afterwards with retries, never inline.
const NoticeRechargeSMS = "sms_recharge"

// RechargeSMS is the payload of a NoticeRechargeSMS notice.
type RechargeSMS struct {
	Phone     string `json:"phone"`
	OrderNo   string `json:"order_no"`
	AmountFen int64  `json:"amount"`
}

// queueRechargeSMS adds the parent's SMS to the outbox when the order has a phone.
func (l *Ledger) queueRechargeSMS(tx *gorm.DB, o Order, e *Entry) error {
	if o.Phone == "" {
		return nil
	}
	raw, _ := json.Marshal(RechargeSMS{Phone: o.Phone, OrderNo: o.OrderNo, AmountFen: o.AmountFen})
	return tx.Create(&Notice{SchoolID: o.SchoolID, HolderID: o.HolderID, EntryID: &e.ID, Kind: NoticeRechargeSMS,
		Payload: string(raw), NextAttemptAt: e.CreatedAt, CreatedAt: e.CreatedAt}).Error
}
