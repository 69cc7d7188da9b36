package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/ecard/ecard/terminalgw"
)

// posClient is a terminal of the gateway protocol (API.md): every request
// signed with the terminal's secret, a fresh nonce and the current time.
type posClient struct {
	server, terminal string
	secret           []byte
	http             *http.Client
}

func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// do sends a signed request and returns the status and body.
func (p posClient) do(ctx context.Context, method, path string, body any) (int, []byte, error) {
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return 0, nil, err
		}
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(p.server, "/")+path, bytes.NewReader(raw))
	if err != nil {
		return 0, nil, err
	}
	ts, nonce := strconv.FormatInt(time.Now().Unix(), 10), newNonce()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Ecard-Terminal", p.terminal)
	req.Header.Set("X-Ecard-Timestamp", ts)
	req.Header.Set("X-Ecard-Nonce", nonce)
	req.Header.Set("X-Ecard-Signature", terminalgw.Signature(p.secret, method, path, ts, nonce, raw))
	resp, err := p.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, out, err
}

func (c *cli) posCommand() *cobra.Command {
	var server, terminal, secret string
	cmd := &cobra.Command{Use: "pos", Short: "a terminal client of the gateway: pay, refund, access", Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			return errors.New("pos needs a subcommand: pay, refund or access")
		}}
	cmd.PersistentFlags().StringVar(&server, "server", "", "server URL (default: http:// + http.addr)")
	cmd.PersistentFlags().StringVar(&terminal, "terminal", "", "terminal id")
	cmd.PersistentFlags().StringVar(&secret, "secret", "", "terminal secret")
	client := func() (posClient, error) {
		if terminal == "" || secret == "" {
			return posClient{}, errors.New("--terminal and --secret are required")
		}
		if server == "" {
			cfg, err := c.loadConfig()
			if err != nil {
				return posClient{}, err
			}
			server = "http://" + cfg.HTTP.Addr
		}
		return posClient{server: server, terminal: terminal, secret: []byte(secret), http: &http.Client{Timeout: 10 * time.Second}}, nil
	}
	// send prints the answer and fails on a decline, so scripts can branch.
	send := func(cmd *cobra.Command, method, path string, body any) error {
		p, err := client()
		if err != nil {
			return err
		}
		status, out, err := p.do(cmd.Context(), method, path, body)
		if err != nil {
			return err
		}
		fmt.Fprintln(c.stdout, strings.TrimSpace(string(out)))
		if status >= 300 {
			var e struct {
				Error struct{ Code, Message string }
			}
			_ = json.Unmarshal(out, &e)
			return fmt.Errorf("declined (%d %s): %s", status, e.Error.Code, e.Error.Message)
		}
		return nil
	}
	var amount, transaction int64
	var code, codePNG, pin, requestID, card string
	readCode := func() (string, error) {
		if codePNG == "" {
			return code, nil
		}
		if code != "" {
			return "", errors.New("give --code or --code-png, not both")
		}
		return decodeQRFile(codePNG)
	}
	reqID := func() string {
		if requestID != "" {
			return requestID
		}
		return "r" + newNonce()
	}
	pay := &cobra.Command{Use: "pay", Short: "charge a pay code", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			code, err := readCode()
			if err != nil {
				return err
			}
			body := map[string]any{"request_id": reqID(), "amount": amount}
			if card != "" {
				body["card_uid"] = card
			} else {
				body["code"] = code
			}
			if pin != "" {
				body["pin"] = pin
			}
			return send(cmd, http.MethodPost, "/tgw/v1/payments", body)
		}}
	pay.Flags().Int64Var(&amount, "amount", 0, "amount in fen, e.g. 1250 for 12.50 yuan")
	refund := &cobra.Command{Use: "refund", Short: "refund (part of) a payment", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return send(cmd, http.MethodPost, "/tgw/v1/refunds", map[string]any{"request_id": reqID(), "transaction_id": transaction, "amount": amount})
		}}
	refund.Flags().Int64Var(&transaction, "transaction", 0, "the payment's transaction_id")
	refund.Flags().Int64Var(&amount, "amount", 0, "amount in fen")
	access := &cobra.Command{Use: "access", Short: "check an identity code at a gate", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			code, err := readCode()
			if err != nil {
				return err
			}
			body := map[string]any{"request_id": reqID()}
			if card != "" {
				body["card_uid"] = card
			} else {
				body["code"] = code
			}
			return send(cmd, http.MethodPost, "/tgw/v1/access", body)
		}}
	for _, sub := range []*cobra.Command{pay, access} {
		sub.Flags().StringVar(&code, "code", "", "the code text (or an 18-digit numeric code)")
		sub.Flags().StringVar(&codePNG, "code-png", "", "a PNG of the QR code")
		sub.Flags().StringVar(&card, "card", "", "a card chip UID instead of a code")
	}
	pay.Flags().StringVar(&pin, "pin", "", "the holder's 6-digit PIN, above the limits")
	for _, sub := range []*cobra.Command{pay, refund, access} {
		sub.Flags().StringVar(&requestID, "request-id", "", "request id (default: random); repeat it to retry safely")
	}
	heartbeat := &cobra.Command{Use: "heartbeat", Short: "check the connection and clock", Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return send(cmd, http.MethodPost, "/tgw/v1/heartbeat", map[string]any{})
		}}
	cmd.AddCommand(pay, refund, access, heartbeat)
	return cmd
}
