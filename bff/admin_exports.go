package bff

import (
	"bufio"
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v3"

	"github.com/ecard/ecard/ledger"
)

// export is one report the card office downloads: its title (the sheet and
// file name), its Chinese header, and rows, which reads the ledger a page at
// a time and hands each row to emit as it comes.
type export struct {
	title  string
	header []string
	rows   func(ctx context.Context, emit func(cells ...any) error) error
}

// exportPage is how many rows one ledger read brings.
const exportPage = ledger.MaxHistoryPage

// maxExportDays bounds a settlement export: a year, day by day.
const maxExportDays = 366

// exportTimeout bounds the time one export may take to write.
const exportTimeout = 10 * time.Minute

// handleAdminExport is GET /admin/api/v1/exports/{report}?school=&format=csv|xlsx:
// settlement, topups, holders, history (?holder=ID) or audit, with ?from= and
// ?to= school days (YYYY-MM-DD, both included), times in the school's time zone.
func (s *Server) handleAdminExport(c fiber.Ctx) error {
	school, err := s.adminSchool(c)
	if err != nil {
		return err
	}
	report, format := c.Params("report"), c.Query("format", "csv")
	setAudit(c, "school:"+school.Code, "export "+report+" "+format+" from="+c.Query("from")+" to="+c.Query("to"))
	if format != "csv" && format != "xlsx" {
		return invalid("format must be csv or xlsx")
	}
	loc, err := time.LoadLocation(school.Timezone)
	if err != nil {
		return err
	}
	from, to, err := exportRange(c, loc)
	if err != nil {
		return err
	}
	var ex export
	switch report {
	case "settlement":
		ex, err = s.settlementExport(school, loc, from, to)
	case "topups":
		ex = s.topupsExport(school, loc, from, to)
	case "holders":
		ex, err = s.holdersExport(c, school, loc, c.Query("kind"), c.Query("status"))
	case "history":
		ex, err = s.historyExport(c, school, loc, from, to)
	case "audit":
		ex = s.auditExport(loc, from, to)
	default:
		return fail("NOT_FOUND", "no export %q: settlement, topups, holders, history or audit", report)
	}
	if err != nil {
		return err
	}
	return s.streamExport(c, school, ex, format)
}

// exportRange reads ?from= and ?to= as school days; to is included, so the
// range ends at the next midnight. Either may be left out.
func exportRange(c fiber.Ctx, loc *time.Location) (from, to *time.Time, err error) {
	day := func(name string) (*time.Time, error) {
		v := c.Query(name)
		if v == "" {
			return nil, nil
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return nil, invalid("%s must be a date YYYY-MM-DD", name)
		}
		return &t, nil
	}
	if from, err = day("from"); err != nil {
		return nil, nil, err
	}
	if to, err = day("to"); err != nil {
		return nil, nil, err
	}
	if to != nil {
		next := to.AddDate(0, 0, 1)
		to = &next
	}
	if from != nil && to != nil && !from.Before(*to) {
		return nil, nil, invalid("from must not be after to")
	}
	return from, to, nil
}

// streamExport answers with the file; every parameter has been checked before,
// so a refusal still gets its error code. Rows go out a page at a time.
func (s *Server) streamExport(c fiber.Ctx, school ledger.School, ex export, format string) error {
	name := ex.title + "-" + school.Code + "-" + s.now().In(mustLoc(school.Timezone)).Format("20060102") + "." + format
	if format == "xlsx" {
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	} else {
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="export.`+format+`"; filename*=UTF-8''`+url.PathEscape(name))
	c.Set(fiber.HeaderCacheControl, "no-store")
	log := s.log
	return c.SendStreamWriter(func(w *bufio.Writer) {
		ctx, cancel := context.WithTimeout(context.Background(), exportTimeout)
		defer cancel()
		var sh sheet
		if format == "xlsx" {
			x, err := newXLSXSheet(w, ex.title)
			if err != nil {
				log.Error("export", "err", err)
				return
			}
			sh = x
		} else {
			sh = newCSVSheet(w)
		}
		header := make([]any, len(ex.header))
		for i, h := range ex.header {
			header[i] = h
		}
		n := 0
		err := sh.row(header)
		if err == nil {
			err = ex.rows(ctx, func(cells ...any) error {
				if n++; n > exportRows {
					return fail("INVALID_REQUEST", "an export holds at most %d rows: narrow the dates", exportRows)
				}
				if err := sh.row(cells); err != nil {
					return err
				}
				if n%exportPage == 0 {
					return sh.flush() // a page at a time to the client
				}
				return nil
			})
		}
		if err != nil {
			// The answer has started: all a client can be told is a short file.
			log.Warn("export cut short", "report", ex.title, "rows", n, "err", err)
			_ = sh.flush()
			return
		}
		if err := sh.close(); err != nil {
			log.Warn("export not finished", "report", ex.title, "err", err)
		}
	})
}

func mustLoc(tz string) *time.Location {
	if loc, err := time.LoadLocation(tz); err == nil {
		return loc
	}
	return time.UTC
}

// localTime prints a time in the school's zone; empty for none.
func localTime(t *time.Time, loc *time.Location) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}

// inRange says where t falls against [from, to): -1 before, 0 inside, 1 after.
func inRange(t time.Time, from, to *time.Time) int {
	switch {
	case from != nil && t.Before(*from):
		return -1
	case to != nil && !t.Before(*to):
		return 1
	}
	return 0
}

func (s *Server) settlementExport(school ledger.School, loc *time.Location, from, to *time.Time) (export, error) {
	if from == nil || to == nil {
		return export{}, invalid("a settlement export needs from and to (YYYY-MM-DD)")
	}
	if to.Sub(*from) > maxExportDays*24*time.Hour+time.Hour {
		return export{}, invalid("a settlement export covers at most %d days", maxExportDays)
	}
	return export{title: "商户日结",
		header: []string{"日期", "商户编码", "商户名称", "消费笔数", "消费金额(元)", "退款笔数", "退款金额(元)", "净额(元)"},
		rows: func(ctx context.Context, emit func(...any) error) error {
			for day := *from; day.Before(*to); day = day.AddDate(0, 0, 1) {
				lines, err := s.ledger.Settlement(ctx, school.ID, day, day.AddDate(0, 0, 1))
				if err != nil {
					return err
				}
				for _, ln := range lines {
					if err := emit(day.In(loc).Format("2006-01-02"), ln.Merchant, ln.Name, ln.Payments, fenCell(ln.PaymentFen),
						ln.Refunds, fenCell(ln.RefundFen), fenCell(ln.NetFen)); err != nil {
						return err
					}
				}
			}
			return nil
		}}, nil
}

func (s *Server) topupsExport(school ledger.School, loc *time.Location, from, to *time.Time) export {
	return export{title: "充值订单",
		header: []string{"订单号", "学号/工号", "姓名", "渠道", "付款方", "金额(元)", "充到", "状态", "下单时间", "支付时间", "退款时间"},
		rows: func(ctx context.Context, emit func(...any) error) error {
			names := map[int64]ledger.Holder{}
			var before int64
			for {
				orders, err := s.ledger.Orders(ctx, ledger.OrderFilter{SchoolID: school.ID, BeforeID: before, Limit: exportPage})
				if err != nil || len(orders) == 0 {
					return err
				}
				for _, o := range orders {
					before = o.ID
					switch inRange(o.CreatedAt, from, to) {
					case 1:
						continue
					case -1:
						return nil // newest first: the rest is older still
					}
					h, ok := names[o.HolderID]
					if !ok {
						if h, err = s.ledger.HolderByID(ctx, o.HolderID); err != nil {
							return err
						}
						if len(names) > 10*exportPage {
							clear(names)
						}
						names[o.HolderID] = h
					}
					dest := "电子账户"
					if o.ToCard {
						dest = "待圈存"
					}
					if err := emit(o.OrderNo, h.Number, h.Name, exportLabel(o.Channel), exportLabel(o.Payer), fenCell(o.AmountFen),
						dest, exportLabel(o.Status), localTime(&o.CreatedAt, loc), localTime(o.PaidAt, loc),
						localTime(o.RefundedAt, loc)); err != nil {
						return err
					}
				}
			}
		}}
}

func (s *Server) holdersExport(c fiber.Ctx, school ledger.School, loc *time.Location, kind, status string) (export, error) {
	// One row read checks the filters while an error code can still be answered.
	if _, err := s.ledger.SearchHolders(c.Context(), ledger.HolderSearch{SchoolID: school.ID, Kind: kind, Status: status, Limit: 1}); err != nil {
		return export{}, err
	}
	return export{title: "持卡人",
		header: []string{"学号/工号", "姓名", "类型", "状态", "电子账户(元)", "补助(元)", "待圈存(元)", "卡余额(元)", "卡号", "宿舍楼",
			"有效期", "最近使用", "建档时间"},
		rows: func(ctx context.Context, emit func(...any) error) error {
			var before int64
			for {
				holders, err := s.ledger.SearchHolders(ctx, ledger.HolderSearch{SchoolID: school.ID, Kind: kind, Status: status,
					BeforeID: before, Limit: exportPage})
				if err != nil || len(holders) == 0 {
					return err
				}
				ids := make([]int64, len(holders))
				for i, h := range holders {
					ids[i] = h.ID
				}
				balances, err := s.ledger.BalancesOf(ctx, ids)
				if err != nil {
					return err
				}
				cards, err := s.ledger.ActiveCardUIDs(ctx, ids)
				if err != nil {
					return err
				}
				for _, h := range holders {
					before = h.ID
					b := balances[h.ID]
					if err := emit(h.Number, h.Name, exportLabel(h.Kind), exportLabel(h.State(s.now())), fenCell(b.WalletFen),
						fenCell(b.SubsidyFen), fenCell(b.PendingFen), fenCell(b.PurseFen), cards[h.ID], h.DormBuilding,
						localTime(h.ExpiresAt, loc), localTime(h.LastActiveAt, loc), localTime(&h.CreatedAt, loc)); err != nil {
						return err
					}
				}
			}
		}}, nil
}

func (s *Server) historyExport(c fiber.Ctx, school ledger.School, loc *time.Location, from, to *time.Time) (export, error) {
	raw := c.Query("holder")
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id < 1 {
		return export{}, invalid("holder must be a holder id (a positive integer)")
	}
	h, err := s.ledger.HolderByID(c.Context(), id)
	if err != nil || h.SchoolID != school.ID {
		return export{}, fail("NOT_FOUND", "holder not found at this school")
	}
	setAudit(c, "holder:"+raw, "export history "+c.Query("format", "csv")+" from="+c.Query("from")+" to="+c.Query("to"))
	return export{title: "流水-" + h.Number,
		header: []string{"时间", "类型", "渠道", "金额(元)", "余额(元)", "商户", "终端", "流水号"},
		rows: func(ctx context.Context, emit func(...any) error) error {
			f := ledger.HistoryFilter{From: from, To: to, Limit: exportPage}
			for {
				items, err := s.ledger.History(ctx, h.ID, f)
				if err != nil || len(items) == 0 {
					return err
				}
				for _, it := range items {
					f.BeforeID = it.ID
					if err := emit(localTime(&it.CreatedAt, loc), exportLabel(it.Kind), exportLabel(it.Channel), fenCell(it.AmountFen),
						fenCell(it.BalanceAfterFen), it.Merchant, it.Terminal, it.ID); err != nil {
						return err
					}
				}
			}
		}}, nil
}

func (s *Server) auditExport(loc *time.Location, from, to *time.Time) export {
	return export{title: "审计日志",
		header: []string{"时间", "管理员", "角色", "操作", "对象", "说明", "结果", "IP"},
		rows: func(ctx context.Context, emit func(...any) error) error {
			var before int64
			for {
				entries, err := s.ledger.AuditLog(ctx, ledger.AuditFilter{BeforeID: before, Limit: exportPage})
				if err != nil || len(entries) == 0 {
					return err
				}
				for _, e := range entries {
					before = e.ID
					switch inRange(e.CreatedAt, from, to) {
					case 1:
						continue
					case -1:
						return nil
					}
					if err := emit(localTime(&e.CreatedAt, loc), e.Username, exportLabel(e.Role), e.Action, e.Target, e.Detail,
						exportLabel(e.Outcome), e.IP); err != nil {
						return err
					}
				}
			}
		}}
}
