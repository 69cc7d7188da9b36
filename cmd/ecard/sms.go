package main

import (
	"github.com/ecard/ecard/bff"
	"github.com/ecard/ecard/bff/tencentsms"
	"github.com/ecard/ecard/config"
)

// rechargeSMS is the configured SMS sender, or nil when SMS is off.
func rechargeSMS(c config.TencentSMS) (bff.SMS, error) {
	s, err := tencentsms.New(tencentsms.Config{SecretID: c.SecretID, SecretKey: c.SecretKey, Region: c.Region,
		SdkAppID: c.SdkAppID, SignName: c.SignName, TemplateID: c.TemplateID, Endpoint: c.Endpoint})
	if s == nil || err != nil {
		return nil, err
	}
	return s, nil
}
