package qrcode

import (
	"fmt"

	goqrcode "github.com/skip2/go-qrcode"
)

// MaxQRVersion is the largest QR version a code needs (error correction M).
const MaxQRVersion = 6

// PNG renders code as a size×size pixel PNG QR code at error correction M.
func PNG(code string, size int) ([]byte, error) {
	q, err := newQR(code)
	if err != nil {
		return nil, err
	}
	return q.PNG(size)
}

func newQR(code string) (*goqrcode.QRCode, error) {
	q, err := goqrcode.New(code, goqrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("qrcode: render: %w", err)
	}
	return q, nil
}
