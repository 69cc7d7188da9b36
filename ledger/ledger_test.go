package ledger_test

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/ecard/ecard/internal/seal"
	"github.com/ecard/ecard/internal/testclock"
	"github.com/ecard/ecard/internal/testdb"
	"github.com/ecard/ecard/ledger"
)

// cheapArgon2 keeps tests fast; production cost comes from configuration.
var cheapArgon2 = ledger.Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1}

// clock is moved by hand in tests.
type clock = testclock.Clock

func newLedger(t testing.TB, db *gorm.DB) (*ledger.Ledger, *clock) {
	t.Helper()
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	sealer, err := seal.New(key)
	if err != nil {
		t.Fatal(err)
	}
	c := testclock.New(time.Date(2026, 9, 1, 4, 0, 0, 0, time.UTC))
	l, err := ledger.New(db, ledger.Options{Now: c.Now, Argon2: cheapArgon2, Sealer: sealer})
	if err != nil {
		t.Fatal(err)
	}
	return l, c
}

// world is one school with holders and a merchant.
type world struct {
	school   ledger.School
	holders  []ledger.Holder
	merchant ledger.Merchant
}

func newWorld(t testing.TB, l *ledger.Ledger, code string, holders int) world {
	t.Helper()
	ctx := context.Background()
	s, err := l.CreateSchool(ctx, ledger.NewSchool{Code: code, Name: "测试大学 " + code, Pinyin: "csdx", Policies: ledger.DefaultPolicies()})
	if err != nil {
		t.Fatal(err)
	}
	w := world{school: s}
	for i := 0; i < holders; i++ {
		h, err := l.CreateHolder(ctx, ledger.NewHolder{SchoolID: s.ID, Number: fmt.Sprintf("2024%04d", i), Name: "学生" + fmt.Sprint(i),
			Kind: ledger.KindStudent, IDLast6: "12345X"})
		if err != nil {
			t.Fatal(err)
		}
		w.holders = append(w.holders, h)
	}
	if w.merchant, err = l.CreateMerchant(ctx, s.ID, "canteen1", "一食堂"); err != nil {
		t.Fatal(err)
	}
	return w
}

func mustVerify(t testing.TB, l *ledger.Ledger, schoolID int64) {
	t.Helper()
	r, err := l.Verify(context.Background(), schoolID)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK {
		t.Fatalf("ledger verify failed: %+v", r.Checks)
	}
}

func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if ledger.ErrorCode(err) != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

func TestPaymentSpendsSubsidyFirstAndRetriesReturnTheFirstResult(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, _ := newLedger(t, db)
		w := newWorld(t, l, "pay", 1)
		h := w.holders[0]
		if _, err := l.TopUp(ctx, ledger.TopUp{Key: "t1", SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.Sandbox, AmountFen: 2000}); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Grant(ctx, ledger.Grant{Key: "g1", SchoolID: w.school.ID, HolderID: h.ID, AmountFen: 500}); err != nil {
			t.Fatal(err)
		}
		pay := ledger.Payment{Key: "p1", SchoolID: w.school.ID, HolderID: h.ID, MerchantID: w.merchant.ID, TerminalID: "pos1", AmountFen: 1250}
		first, err := l.Pay(ctx, pay)
		if err != nil {
			t.Fatal(err)
		}
		if first.BalanceAfterFen != 1250 || len(first.Transfers) != 2 || first.Transfers[0].AmountFen != 500 || first.Transfers[1].AmountFen != 750 {
			t.Fatalf("subsidy first, then wallet: %+v", first)
		}
		again, err := l.Pay(ctx, pay)
		if err != nil || again.ID != first.ID || again.BalanceAfterFen != first.BalanceAfterFen {
			t.Fatalf("retry must return the first result: %+v %v", again, err)
		}
		pay.AmountFen = 100
		_, err = l.Pay(ctx, pay)
		wantCode(t, err, ledger.CodeConflict)
		b, _ := l.HolderBalances(ctx, h.ID)
		if b.WalletFen != 1250 || b.SubsidyFen != 0 {
			t.Fatalf("balances %+v", b)
		}
		// Refunds go back to the wallet first, then the subsidy, never beyond the payment.
		if _, err := l.Refund(ctx, ledger.Refund{Key: "r1", PaymentID: first.ID, AmountFen: 1000, MerchantID: w.merchant.ID}); err != nil {
			t.Fatal(err)
		}
		b, _ = l.HolderBalances(ctx, h.ID)
		if b.WalletFen != 2000 || b.SubsidyFen != 250 {
			t.Fatalf("after refund %+v", b)
		}
		_, err = l.Refund(ctx, ledger.Refund{Key: "r2", PaymentID: first.ID, AmountFen: 251})
		wantCode(t, err, ledger.CodeConflict)
		_, err = l.Refund(ctx, ledger.Refund{Key: "r3", PaymentID: first.ID, AmountFen: 250, MerchantID: w.merchant.ID + 99})
		wantCode(t, err, ledger.CodeNotFound)
		mustVerify(t, l, 0)
	})
}

func TestLimitsAndPIN(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, clk := newLedger(t, db)
		w := newWorld(t, l, "lim", 1)
		h := w.holders[0]
		if _, err := l.TopUp(ctx, ledger.TopUp{Key: "t", SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.Alipay, AmountFen: 20000}); err != nil {
			t.Fatal(err)
		}
		pay := func(key string, amount int64, pin string) error {
			_, err := l.Pay(ctx, ledger.Payment{Key: key, SchoolID: w.school.ID, HolderID: h.ID, MerchantID: w.merchant.ID, AmountFen: amount, PIN: pin})
			return err
		}
		wantCode(t, pay("over-payment", 3001, ""), ledger.CodeLimitExceeded)
		if err := pay("a", 3000, ""); err != nil {
			t.Fatal(err)
		}
		wantCode(t, pay("over-day", 2001, ""), ledger.CodeLimitExceeded)
		if err := pay("b", 2000, ""); err != nil {
			t.Fatal(err)
		}
		wantCode(t, pay("wrong", 100, "000000"), ledger.CodeWrongPIN)
		if err := pay("with-pin", 4000, "123450"); err != nil {
			t.Fatalf("initial PIN is the id digits with X as 0: %v", err)
		}
		for i := 0; i < 3; i++ {
			wantCode(t, pay(fmt.Sprint("w", i), 100, "999999"), ledger.CodeWrongPIN)
		}
		// The wrong PIN count was reset by the right PIN: five in a row lock it.
		wantCode(t, pay("w3", 100, "999999"), ledger.CodeWrongPIN)
		wantCode(t, pay("w4", 100, "999999"), ledger.CodePINLocked)
		wantCode(t, pay("locked", 100, "123450"), ledger.CodePINLocked)
		// A new school day resets the day's spending.
		clk.Advance(24 * time.Hour)
		if err := pay("next-day", 3000, ""); err != nil {
			t.Fatal(err)
		}
		mustVerify(t, l, w.school.ID)
	})
}

func TestHoldsPostOrVoidOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, clk := newLedger(t, db)
		w := newWorld(t, l, "hold", 1)
		h := w.holders[0]
		if _, err := l.TopUp(ctx, ledger.TopUp{Key: "t", SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.WeChatPay, AmountFen: 1000, ToCard: true}); err != nil {
			t.Fatal(err)
		}
		res := ledger.Reserve{Key: "h1", SchoolID: w.school.ID, HolderID: h.ID, From: ledger.Pending, To: ledger.Purse, AmountFen: 1000, TTL: time.Minute}
		hold, err := l.Reserve(ctx, res)
		if err != nil {
			t.Fatal(err)
		}
		_, err = l.Reserve(ctx, ledger.Reserve{Key: "h2", SchoolID: w.school.ID, HolderID: h.ID, From: ledger.Pending, To: ledger.Purse, AmountFen: 1, TTL: time.Minute})
		wantCode(t, err, ledger.CodeInsufficientFunds)
		if _, err := l.Void(ctx, "v1", hold.ID); err != nil {
			t.Fatal(err)
		}
		_, err = l.Post(ctx, "p1", hold.ID)
		wantCode(t, err, ledger.CodeConflict)
		hold2, err := l.Reserve(ctx, ledger.Reserve{Key: "h3", SchoolID: w.school.ID, HolderID: h.ID, From: ledger.Pending, To: ledger.Purse, AmountFen: 600, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := l.Post(ctx, "p2", hold2.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Post(ctx, "p2", hold2.ID); err != nil {
			t.Fatalf("a retried post answers with the first result: %v", err)
		}
		hold3, err := l.Reserve(ctx, ledger.Reserve{Key: "h4", SchoolID: w.school.ID, HolderID: h.ID, From: ledger.Pending, To: ledger.Purse, AmountFen: 400, TTL: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(2 * time.Minute)
		_, err = l.Post(ctx, "late", hold3.ID)
		wantCode(t, err, ledger.CodeConflict)
		if n, err := l.VoidExpiredHolds(ctx, 100); err != nil || n != 1 {
			t.Fatalf("voided %d, %v", n, err)
		}
		b, _ := l.HolderBalances(ctx, h.ID)
		if b.PendingFen != 400 || b.PurseFen != 600 {
			t.Fatalf("balances %+v", b)
		}
		mustVerify(t, l, 0)
	})
}

func TestConcurrentDuplicatesPostOnce(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, _ := newLedger(t, db)
		w := newWorld(t, l, "dup", 1)
		h := w.holders[0]
		var wg sync.WaitGroup
		ids := make([]int64, 16)
		errs := make([]error, 16)
		for i := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				e, err := l.TopUp(ctx, ledger.TopUp{Key: "order-1", SchoolID: w.school.ID, HolderID: h.ID, Channel: ledger.WeChatPay, AmountFen: 5000})
				ids[i], errs[i] = e.ID, err
			}()
		}
		wg.Wait()
		for i := range ids {
			if errs[i] != nil || ids[i] != ids[0] {
				t.Fatalf("call %d: id %d err %v (first %d)", i, ids[i], errs[i], ids[0])
			}
		}
		b, _ := l.HolderBalances(ctx, h.ID)
		if b.WalletFen != 5000 {
			t.Fatalf("credited %d", b.WalletFen)
		}
		mustVerify(t, l, 0)
	})
}

func TestVerifyFindsTamperedBalances(t *testing.T) {
	testdb.Each(t, func(t *testing.T, db *gorm.DB) {
		ctx := context.Background()
		l, _ := newLedger(t, db)
		w := newWorld(t, l, "tamper", 1)
		if _, err := l.TopUp(ctx, ledger.TopUp{Key: "t", SchoolID: w.school.ID, HolderID: w.holders[0].ID, Channel: ledger.Cash, AmountFen: 100}); err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("UPDATE accounts SET balance_fen = balance_fen + 1 WHERE holder_id = ? AND kind = 'wallet'", w.holders[0].ID).Error; err != nil {
			t.Fatal(err)
		}
		r, err := l.Verify(ctx, 0)
		if err != nil || r.OK {
			t.Fatalf("verify must fail: %+v %v", r, err)
		}
		err = db.Exec("UPDATE transfers SET amount_fen = 1").Error
		if err == nil {
			t.Fatal("transfers must be immutable")
		}
		if !errors.Is(ledger.ErrConflict, ledger.ErrConflict) {
			t.Fatal("sentinel")
		}
	})
}

func TestPinyinInitials(t *testing.T) {
	for name, want := range map[string]string{"北京大学": "bjdx", "演示大学": "ysdx", "清华大学 2": "qhdx2", "MIT": "mit"} {
		if got := ledger.PinyinInitials(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}
