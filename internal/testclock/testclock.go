// Package testclock is a clock tests move by hand, safe for concurrent use.
package testclock

import (
	"sync/atomic"
	"time"
)

// Clock reads a time that changes only when Advance is called.
type Clock struct{ t atomic.Int64 }

// New starts a clock at start.
func New(start time.Time) *Clock {
	c := &Clock{}
	c.t.Store(start.UnixNano())
	return c
}

// Now is the clock's time, in UTC.
func (c *Clock) Now() time.Time { return time.Unix(0, c.t.Load()).UTC() }

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) { c.t.Add(int64(d)) }
