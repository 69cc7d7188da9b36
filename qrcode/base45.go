package qrcode

import "errors"

// base45Alphabet is the RFC 9285 alphabet: exactly the characters of the QR
// alphanumeric mode, so a Base45 string scans in the densest text mode.
const base45Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"

var base45Index = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i := 0; i < len(base45Alphabet); i++ {
		t[base45Alphabet[i]] = int8(i)
	}
	return t
}()

var errBase45 = errors.New("base45: invalid input")

// base45Encode encodes b as RFC 9285 Base45: each 2 bytes become 3 characters,
// a final odd byte becomes 2.
func base45Encode(b []byte) string {
	out := make([]byte, 0, len(b)/2*3+len(b)%2*2)
	for i := 0; i+1 < len(b); i += 2 {
		n := int(b[i])<<8 | int(b[i+1])
		c, n := n%45, n/45
		d, e := n%45, n/45
		out = append(out, base45Alphabet[c], base45Alphabet[d], base45Alphabet[e])
	}
	if len(b)%2 == 1 {
		n := int(b[len(b)-1])
		out = append(out, base45Alphabet[n%45], base45Alphabet[n/45])
	}
	return string(out)
}

// base45Decode decodes RFC 9285 Base45. It rejects characters outside the
// alphabet, a length of 1 modulo 3, and groups whose value does not fit (so
// every accepted string is the canonical encoding of its result).
func base45Decode(s string) ([]byte, error) {
	if len(s)%3 == 1 {
		return nil, errBase45
	}
	out := make([]byte, 0, len(s)/3*2+len(s)%3/2)
	for i := 0; i < len(s); i += 3 {
		var v [3]int
		k := min(3, len(s)-i)
		for j := 0; j < k; j++ {
			x := base45Index[s[i+j]]
			if x < 0 {
				return nil, errBase45
			}
			v[j] = int(x)
		}
		if k == 3 {
			n := v[0] + v[1]*45 + v[2]*45*45
			if n > 0xFFFF {
				return nil, errBase45
			}
			out = append(out, byte(n>>8), byte(n))
		} else {
			n := v[0] + v[1]*45
			if n > 0xFF {
				return nil, errBase45
			}
			out = append(out, byte(n))
		}
	}
	return out, nil
}
