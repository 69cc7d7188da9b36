package main

import (
	"errors"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/internal/seal"
	"github.com/ecard/ecard/ledger"
	"github.com/ecard/ecard/qrcode/sqlkeys"
)

// keysCommand rotates a school's code issuer key: new codes are signed with
// the new key id; codes and terminals holding the old public key keep working
// until those codes expire.
func (c *cli) keysCommand() *cobra.Command {
	var school string
	rotate := &cobra.Command{
		Use: "rotate", Short: "start signing a school's codes with a new issuer key", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			cfg, err := c.loadConfig()
			if err != nil {
				return err
			}
			key, err := seal.ParseKey(cfg.Secrets.EncryptionKey)
			if err != nil {
				return err
			}
			sealer, err := seal.New(key)
			if err != nil {
				return err
			}
			return c.withLedger(ctx, func(l *ledger.Ledger) error {
				id, err := schoolID(ctx, l, school)
				if err != nil {
					return err
				}
				if id > math.MaxUint32 {
					return errors.New("school id out of range for codes")
				}
				kid, err := sqlkeys.New(l.DB(), sealer, time.Now).Rotate(ctx, uint32(id))
				if err != nil {
					return err
				}
				return c.print(map[string]any{"school": school, "kid": kid}, "school %s now signs codes with key %d", school, kid)
			})
		},
	}
	rotate.Flags().StringVar(&school, "school", "", "school code")
	requireFlags(rotate, "school")
	return group("keys", "code issuer keys", rotate)
}
