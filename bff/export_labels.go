package bff

import "strings"

// exportLabels are the Chinese words the exports print for the ledger's keys.
var exportLabels = map[string]string{
	"topup": "充值", "payment": "消费", "refund": "退款", "grant": "补助", "move": "转账", "post": "圈存",
	"reserve": "预留", "void": "撤销",
	"wechatpay": "微信支付", "alipay": "支付宝", "sandbox": "演示支付", "cash": "现金", "bank": "银行",
	"offline": "脱机消费", "subsidy_fund": "补助发放", "subsidy_expiry": "补助过期", "subsidy_return": "补助退回",
	"wallet": "电子账户", "subsidy": "补助账户", "pending": "待圈存", "purse": "卡余额", "payout": "销户退款",
	"created": "待支付", "paid": "已支付", "closed": "已关闭", "refunding": "退款中", "refunded": "已退款",
	"active": "正常", "lost": "挂失", "frozen": "冻结", "expired": "过期",
	"student": "学生", "staff": "教职工", "visitor": "访客", "parent": "家长", "holder": "本人",
	"superadmin": "超级管理员", "operator": "操作员", "auditor": "审计员", "ok": "成功",
}

// exportLabel is the Chinese word for a key; a channel "a>b" reads "a→b".
func exportLabel(key string) string {
	if key == "" {
		return ""
	}
	if l, ok := exportLabels[key]; ok {
		return l
	}
	if from, to, ok := strings.Cut(key, ">"); ok {
		if to == "" {
			return exportLabel(from)
		}
		return exportLabel(from) + "→" + exportLabel(to)
	}
	if strings.HasPrefix(key, "ch_") {
		return exportLabel(strings.TrimPrefix(key, "ch_"))
	}
	return key
}
