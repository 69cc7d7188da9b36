package ledger

import (
	"context"
	"time"
)

// RaiseStateFloor records, durably, that state kept outside the database
// (name, e.g. "redis") was lost at or before now, and returns the floor in
// force: the highest moment ever recorded, so several nodes that notice the
// same loss agree on a floor at least as late as the loss. The very first
// call records the zero floor: nothing was kept under the name before, so
// nothing was lost.
func (l *Ledger) RaiseStateFloor(ctx context.Context, name string, now time.Time) (time.Time, error) {
	var floors []int64
	err := l.db.WithContext(ctx).Raw(`INSERT INTO state_floors (name, floor) VALUES (?, 0)
ON CONFLICT (name) DO UPDATE SET floor = CASE WHEN state_floors.floor > ? THEN state_floors.floor ELSE ? END
RETURNING floor`, name, now.Unix(), now.Unix()).Scan(&floors).Error
	if err != nil {
		return time.Time{}, err
	}
	if len(floors) != 1 {
		return time.Time{}, refuse(CodeConflict, "state floor %s not recorded", name)
	}
	return time.Unix(floors[0], 0).UTC(), nil
}
