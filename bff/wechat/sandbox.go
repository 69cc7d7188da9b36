package wechat

import (
	"context"
	"log/slog"
)

// SandboxOpenIDPrefix starts every openid the sandbox hands out, so a
// sandbox binding can never be mistaken for a real WeChat user's.
const SandboxOpenIDPrefix = "sandbox-"

// Sandbox stands in for WeChat when the deployment runs the sandbox (`serve
// --demo`, ECARD_SANDBOX=true) and no mini-program is configured: the
// mini-program and its tests sign in without WeChat's servers. A wx.login
// code is taken as the user's name, so the same code always gives the same
// openid ("sandbox-" + code). Production refuses the sandbox, so this never
// signs anyone in there. Subscribe messages are logged, not sent.
type Sandbox struct {
	Log *slog.Logger
}

// Code2Session answers the openid of the code; a malformed code is refused as WeChat would.
func (Sandbox) Code2Session(_ context.Context, code string) (Session, error) {
	if !validCode(code) {
		return Session{}, ErrInvalidCode
	}
	return Session{OpenID: SandboxOpenIDPrefix + code}, nil
}

// SendSubscribe logs the message it would have sent.
func (s Sandbox) SendSubscribe(_ context.Context, msg Subscribe) error {
	if s.Log != nil {
		s.Log.Info("sandbox wechat: subscribe message", "openid", msg.OpenID, "template", msg.TemplateID, "data", msg.Data)
	}
	return nil
}
