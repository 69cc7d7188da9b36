package wechat_test

import (
	"context"
	"errors"
	"testing"

	"github.com/ecard/ecard/bff/wechat"
)

func TestSandboxCodeIsTheUser(t *testing.T) {
	var sb wechat.Sandbox
	a, err := sb.Code2Session(context.Background(), "student-1")
	if err != nil || a.OpenID != "sandbox-student-1" {
		t.Fatalf("got %+v, %v", a, err)
	}
	b, _ := sb.Code2Session(context.Background(), "student-1")
	if b != a {
		t.Fatalf("same code gave %+v then %+v", a, b)
	}
	for _, bad := range []string{"", "a b", "x&appid=y", string(make([]byte, 200))} {
		if _, err := sb.Code2Session(context.Background(), bad); !errors.Is(err, wechat.ErrInvalidCode) {
			t.Errorf("code %q: %v, want ErrInvalidCode", bad, err)
		}
	}
	if err := sb.SendSubscribe(context.Background(), wechat.Subscribe{OpenID: "o", TemplateID: "t"}); err != nil {
		t.Fatal(err)
	}
}
