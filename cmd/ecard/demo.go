package main

import (
	"context"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"

	"github.com/ecard/ecard/configs"
	"github.com/ecard/ecard/ledger"
)

// demoData is configs/demo.yaml.
type demoData struct {
	School struct {
		Code, Name, Pinyin string
	}
	Admins []struct {
		Username, Password, Role string
	}
	Holders []struct {
		Number       string
		Name         string
		Kind         string
		IDLast6      string `yaml:"id_last6"`
		DormBuilding string `yaml:"dorm_building"`
		TopupFen     int64  `yaml:"topup_fen"`
		SubsidyFen   int64  `yaml:"subsidy_fen"`
		CardUID      string `yaml:"card_uid"`
	}
	Merchants []struct {
		Code, Name string
	}
	Terminals []struct {
		ID, Kind, Merchant, Place, Secret string
	}
}

func loadDemo() (demoData, error) {
	var d demoData
	if err := yaml.Unmarshal(configs.Demo, &d); err != nil {
		return d, fmt.Errorf("demo data: %w", err)
	}
	return d, nil
}

// seedDemo creates the demo school once; on later starts it only prints the
// credentials again.
func seedDemo(ctx context.Context, l *ledger.Ledger, out io.Writer) error {
	d, err := loadDemo()
	if err != nil {
		return err
	}
	if _, err := l.School(ctx, d.School.Code); err == nil {
		printDemo(out, d, false)
		return nil
	} else if ledger.ErrorCode(err) != ledger.CodeNotFound {
		return err
	}
	school, err := l.CreateSchool(ctx, ledger.NewSchool{Code: d.School.Code, Name: d.School.Name, Pinyin: d.School.Pinyin,
		Policies: ledger.DefaultPolicies()})
	if err != nil {
		return fmt.Errorf("demo school: %w", err)
	}
	for _, a := range d.Admins {
		if _, err := l.CreateAdmin(ctx, a.Username, a.Password, a.Role); err != nil && ledger.ErrorCode(err) != ledger.CodeConflict {
			return fmt.Errorf("demo admin %s: %w", a.Username, err)
		}
	}
	merchants := map[string]int64{}
	for _, m := range d.Merchants {
		created, err := l.CreateMerchant(ctx, school.ID, m.Code, m.Name)
		if err != nil {
			return fmt.Errorf("demo merchant %s: %w", m.Code, err)
		}
		merchants[m.Code] = created.ID
	}
	for _, t := range d.Terminals {
		in := ledger.NewTerminal{SchoolID: school.ID, ID: t.ID, Kind: t.Kind, Place: t.Place, Secret: t.Secret}
		if t.Merchant != "" {
			id := merchants[t.Merchant]
			in.MerchantID = &id
		}
		if _, _, err := l.CreateTerminal(ctx, in); err != nil {
			return fmt.Errorf("demo terminal %s: %w", t.ID, err)
		}
	}
	for _, h := range d.Holders {
		created, err := l.CreateHolder(ctx, ledger.NewHolder{SchoolID: school.ID, Number: h.Number, Name: h.Name,
			Kind: h.Kind, IDLast6: h.IDLast6, DormBuilding: h.DormBuilding})
		if err != nil {
			return fmt.Errorf("demo holder %s: %w", h.Number, err)
		}
		if h.TopupFen > 0 {
			if _, err := l.TopUp(ctx, ledger.TopUp{Key: "demo:topup:" + h.Number, SchoolID: school.ID, HolderID: created.ID,
				Channel: ledger.Sandbox, AmountFen: h.TopupFen, Memo: "demo"}); err != nil {
				return err
			}
		}
		if h.SubsidyFen > 0 {
			if _, err := l.Grant(ctx, ledger.Grant{Key: "demo:subsidy:" + h.Number, SchoolID: school.ID, HolderID: created.ID,
				AmountFen: h.SubsidyFen, Memo: "demo"}); err != nil {
				return err
			}
		}
		if h.CardUID != "" {
			if _, err := l.IssueCard(ctx, school.ID, created.ID, h.CardUID); err != nil {
				return fmt.Errorf("demo card %s: %w", h.CardUID, err)
			}
		}
	}
	printDemo(out, d, true)
	return nil
}

func printDemo(out io.Writer, d demoData, seeded bool) {
	state := "already present"
	if seeded {
		state = "seeded"
	}
	fmt.Fprintf(out, "\nDemo school %q (%s) %s. Public demo credentials, never for real money:\n", d.School.Code, d.School.Name, state)
	for _, a := range d.Admins {
		fmt.Fprintf(out, "  admin     %-18s password %s (%s)\n", a.Username, a.Password, a.Role)
	}
	for _, h := range d.Holders {
		card := ""
		if h.CardUID != "" {
			card = "  card " + h.CardUID
		}
		fmt.Fprintf(out, "  %-9s %-18s password/PIN %s (initial: X counts as 0)  %s%s\n", h.Kind, h.Number,
			ledger.InitialSecret("id_last6", h.IDLast6), h.Name, card)
	}
	for _, t := range d.Terminals {
		fmt.Fprintf(out, "  %-9s %-18s secret %s\n", t.Kind, t.ID, t.Secret)
	}
	fmt.Fprintln(out)
}
