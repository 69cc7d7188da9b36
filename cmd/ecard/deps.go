package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"gorm.io/gorm"

	"github.com/ecard/ecard/config"
	"github.com/ecard/ecard/internal/redisconn"
	"github.com/ecard/ecard/internal/seal"
	"github.com/ecard/ecard/ledger"
	ledgerpg "github.com/ecard/ecard/ledger/postgres"
	"github.com/ecard/ecard/ledger/sqlite"
)

func (c *cli) loadConfig() (config.Config, error) {
	file := c.configFile
	if file == "" {
		file = c.getenv("ECARD_CONFIG")
	}
	cfg, err := config.Load(file, c.getenv)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.EnsureSecrets()
}

// openDatabase connects to PostgreSQL when database.url is set, else opens the
// SQLite file in data_dir; either way the schema is migrated.
func openDatabase(ctx context.Context, cfg config.Config) (*gorm.DB, string, error) {
	if cfg.Database.URL != "" {
		if !strings.HasPrefix(cfg.Database.URL, "postgres://") && !strings.HasPrefix(cfg.Database.URL, "postgresql://") {
			return nil, "", fmt.Errorf("database.url must start with postgres://")
		}
		db, err := ledgerpg.Open(ctx, cfg.Database.URL, ledgerpg.Options{
			MaxOpenConns: cfg.Database.MaxOpenConns, MaxIdleConns: cfg.Database.MaxIdleConns})
		return db, "postgres", err
	}
	path := filepath.Join(cfg.DataDir, "ecard.db")
	db, err := sqlite.Open(ctx, path)
	return db, "sqlite " + path, err
}

func closeDatabase(db *gorm.DB) {
	if sqlDB, err := db.DB(); err == nil {
		_ = sqlDB.Close()
	}
}

// openLedger opens the database and the ledger over it.
func openLedger(ctx context.Context, cfg config.Config, reg prometheus.Registerer) (*ledger.Ledger, func(), string, error) {
	key, err := seal.ParseKey(cfg.Secrets.EncryptionKey)
	if err != nil {
		return nil, nil, "", fmt.Errorf("secrets.encryption_key: %w", err)
	}
	sealer, err := seal.New(key)
	if err != nil {
		return nil, nil, "", err
	}
	db, where, err := openDatabase(ctx, cfg)
	if err != nil {
		return nil, nil, "", err
	}
	l, err := ledger.New(db, ledger.Options{
		Now:        time.Now,
		Argon2:     ledger.Argon2Params{MemoryKiB: cfg.Argon2.MemoryKiB, Iterations: cfg.Argon2.Iterations, Parallelism: cfg.Argon2.Parallelism},
		Sealer:     sealer,
		Registerer: reg,
	})
	if err != nil {
		closeDatabase(db)
		return nil, nil, "", err
	}
	return l, func() { closeDatabase(db) }, where, nil
}

// withLedger runs fn with a ledger opened from the configuration.
func (c *cli) withLedger(ctx context.Context, fn func(l *ledger.Ledger) error) error {
	cfg, err := c.loadConfig()
	if err != nil {
		return err
	}
	l, closeLedger, _, err := openLedger(ctx, cfg, nil)
	if err != nil {
		return err
	}
	defer closeLedger()
	return fn(l)
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.Log.Format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

func openRedis(ctx context.Context, cfg config.Config, log *slog.Logger) (*redisconn.Conn, error) {
	conn, err := redisconn.Open(ctx, cfg.Redis.URL)
	if err != nil {
		return nil, err
	}
	if conn.Embedded {
		log.Warn("using the embedded Redis server: single-node only; set ECARD_REDIS_URL to run several nodes")
	}
	return conn, nil
}
