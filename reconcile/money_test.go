package reconcile_test

import (
	"testing"

	"github.com/ecard/ecard/reconcile"
)

func TestParseYuan(t *testing.T) {
	good := []struct {
		in   string
		want int64
	}{
		{"0", 0},
		{"0.00", 0},
		{"-0.00", 0},
		{"0.01", 1},
		{"0.1", 10},
		{"0.10", 10},
		{"1", 100},
		{"1.5", 150},
		{"12.34", 1234},
		{"+12.34", 1234},
		{"-12.34", -1234},
		{"007.00", 700},
		{"¥30.00", 3000},
		{"￥30.00", 3000},
		{"-¥20.00", -2000},
		{"¥-20.00", -2000},
		{"9999999999.99", reconcile.MaxAmountFen},
		{"-9999999999.99", -reconcile.MaxAmountFen},
	}
	for _, c := range good {
		got, err := reconcile.ParseYuan(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	bad := []string{
		"", " ", "-", "+", "¥", ".", ".5", "1.", "1.234", "1.2.3", "1e3", "1,000", "1 000", " 1.00", "1.00 ",
		"--1", "+-1", "¥¥1", "-¥-1", "1-", "0x10", "１.００", "NaN", "Inf", "10000000000", "99999999999.99",
		"1.0\x00", "¥", "$1.00", "1.-5", "1.+5",
	}
	for _, in := range bad {
		if got, err := reconcile.ParseYuan(in); err == nil {
			t.Errorf("ParseYuan(%q) = %d, want an error", in, got)
		}
	}
}
