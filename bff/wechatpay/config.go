package wechatpay

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// maxPlatformCerts bounds the certificates read from PlatformCertPEM; WeChat
// has at most two valid at once (the old and the new during a rotation).
const maxPlatformCerts = 8

// keys is what parseConfig makes of a Config's secrets.
type keys struct {
	mchKey        *rsa.PrivateKey
	platformCerts []*x509.Certificate
	aead          cipher.AEAD
}

func parseConfig(cfg Config) (keys, error) {
	var k keys
	for _, f := range []struct{ name, value string }{
		{"MchID", cfg.MchID},
		{"AppID", cfg.AppID},
		{"MchCertSerial", cfg.MchCertSerial},
		{"APIv3Key", cfg.APIv3Key},
	} {
		if strings.TrimSpace(f.value) == "" {
			return k, fmt.Errorf("wechatpay: Config.%s is empty", f.name)
		}
		if f.value != strings.TrimSpace(f.value) {
			return k, fmt.Errorf("wechatpay: Config.%s has leading or trailing spaces", f.name)
		}
	}
	if len(cfg.APIv3Key) != 32 {
		return k, fmt.Errorf("wechatpay: Config.APIv3Key must be 32 bytes, got %d", len(cfg.APIv3Key))
	}
	if len(cfg.MchPrivateKeyPEM) == 0 {
		return k, errors.New("wechatpay: Config.MchPrivateKeyPEM is empty")
	}
	if len(cfg.PlatformCertPEM) == 0 {
		return k, errors.New("wechatpay: Config.PlatformCertPEM is empty")
	}
	var err error
	if k.mchKey, err = parsePrivateKey(cfg.MchPrivateKeyPEM); err != nil {
		return k, fmt.Errorf("wechatpay: Config.MchPrivateKeyPEM: %w", err)
	}
	if k.platformCerts, err = parseCertificates(cfg.PlatformCertPEM); err != nil {
		return k, fmt.Errorf("wechatpay: Config.PlatformCertPEM: %w", err)
	}
	block, err := aes.NewCipher([]byte(cfg.APIv3Key))
	if err != nil {
		return k, fmt.Errorf("wechatpay: Config.APIv3Key: %w", err)
	}
	if k.aead, err = cipher.NewGCM(block); err != nil {
		return k, fmt.Errorf("wechatpay: Config.APIv3Key: %w", err)
	}
	if cfg.BaseURL != "" {
		if err := checkBaseURL(cfg.BaseURL); err != nil {
			return k, fmt.Errorf("wechatpay: Config.BaseURL: %w", err)
		}
	}
	return k, nil
}

// parsePrivateKey reads an RSA key of at least 2048 bits. WeChat issues
// apiclient_key.pem as PKCS#8 ("PRIVATE KEY"); PKCS#1 is accepted as well.
func parsePrivateKey(pemBytes []byte) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	var key *rsa.PrivateKey
	switch block.Type {
	case "PRIVATE KEY":
		k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("not an RSA key (%T)", k)
		}
		key = rk
	case "RSA PRIVATE KEY":
		k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, err
		}
		key = k
	default:
		return nil, fmt.Errorf("PEM block is %q, want PRIVATE KEY", block.Type)
	}
	if key.N.BitLen() < 2048 {
		return nil, fmt.Errorf("RSA key has %d bits, want at least 2048", key.N.BitLen())
	}
	return key, nil
}

// parseCertificates reads every CERTIFICATE block; each must hold an RSA
// public key, since the SDK's verifier assumes one.
func parseCertificates(pemBytes []byte) ([]*x509.Certificate, error) {
	var certs []*x509.Certificate
	rest := pemBytes
	for range maxPlatformCerts + 1 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if len(certs) == maxPlatformCerts {
			return nil, fmt.Errorf("more than %d certificates", maxPlatformCerts)
		}
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("PEM block is %q, want CERTIFICATE", block.Type)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, err
		}
		if _, ok := c.PublicKey.(*rsa.PublicKey); !ok {
			return nil, fmt.Errorf("certificate %X does not hold an RSA key", c.SerialNumber)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, errors.New("no CERTIFICATE block")
	}
	return certs, nil
}

// checkBaseURL accepts scheme://host[:port] only: the SDK signs the request
// path, so a path prefix added in transit would break every signature.
func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("scheme %q, want https or http", u.Scheme)
	}
	if u.Host == "" {
		return errors.New("no host")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errors.New("want scheme://host[:port] only, no path, query or user")
	}
	return nil
}
