// The one table of what the server's keys mean to a person: entry kinds,
// channels, accounts, states, roles and report totals, in Chinese and
// English. The holder app and the console both read it, so a key never shows
// raw and both name a thing the same way.
const table = {
  // Entry kinds.
  payment: ['消费', 'Payment'], topup: ['充值', 'Top-up'], refund: ['退款', 'Refund'], grant: ['补贴', 'Subsidy'],
  move: ['转账', 'Transfer'], reserve: ['圈存中', 'Writing to card'], post: ['圈存', 'Written to card'], void: ['撤销', 'Cancelled'],
  subsidy: ['补贴', 'Subsidy'], expiry: ['补贴过期', 'Subsidy expired'], close: ['销户', 'Closed'],
  // Channels and accounts.
  wechatpay: ['微信支付', 'WeChat Pay'], alipay: ['支付宝', 'Alipay'], sandbox: ['模拟支付', 'Sandbox payment'],
  cash: ['现金', 'Cash'], bank: ['银行转账', 'Bank transfer'], offline: ['脱机消费', 'Offline tap'], online: ['联机消费', 'Online tap'],
  wallet: ['电子账户', 'Online balance'], pending: ['待圈存', 'Waiting for the card'], purse: ['卡余额', 'Card balance'],
  merchant: ['商户', 'Merchant'], subsidy_fund: ['补贴发放', 'Subsidy issued'], subsidy_expiry: ['补贴过期', 'Subsidy expired'],
  subsidy_return: ['销户退回补贴', 'Subsidy returned at closing'], fees: ['工本费', 'Card fee'], payout: ['销户退款', 'Paid out at closing'],
  // States.
  active: ['正常', 'Active'], lost: ['挂失', 'Lost'], frozen: ['冻结', 'Frozen'], expired: ['过期', 'Expired'], closed: ['已销户', 'Closed'],
  replaced: ['已换卡', 'Replaced'], disabled: ['停用', 'Disabled'], created: ['待支付', 'Awaiting payment'], paid: ['已支付', 'Paid'],
  refunded: ['已退款', 'Refunded'], issued: ['已发放', 'Issued'],
  // Holders, terminals, payers, anomalies.
  student: ['学生', 'Student'], staff: ['教职工', 'Staff'], visitor: ['访客', 'Visitor'],
  pos: ['收银机', 'Till'], gate: ['门禁', 'Gate'], kiosk: ['自助机', 'Kiosk'], parent: ['家长', 'Parent'], holder: ['本人', 'Holder'],
  gap: ['断号', 'Gap'], repeat: ['重复', 'Repeat'],
  // Roles.
  superadmin: ['超级管理员', 'Super administrator'], operator: ['操作员', 'Operator'], auditor: ['审计员', 'Auditor'],
  // Report totals.
  payments: ['消费笔数', 'Payments'], payment_fen: ['消费(元)', 'Payments (CNY)'], refunds: ['退款笔数', 'Refunds'],
  refund_fen: ['退款(元)', 'Refunds (CNY)'], net_fen: ['净额(元)', 'Net (CNY)'], orders: ['笔数', 'Orders'],
  amount: ['金额(元)', 'Amount (CNY)'], refunded_fen: ['退款(元)', 'Refunded (CNY)'],
}

// label names key in lang ('zh' or 'en'); an unknown key shows as it is.
export function label(key, lang = 'zh') {
  const l = table[key]
  return l ? l[lang === 'en' ? 1 : 0] : key
}

// channelLabel names an entry's channel: one key, or "from>to" for money
// moving between a holder's accounts ("pending>purse": 待圈存→卡余额), or
// "payout>cash" for a closing's refund.
export function channelLabel(channel, lang = 'zh') {
  if (!channel) return ''
  const [from, to] = channel.split('>')
  if (to === undefined) return label(from, lang)
  if (from === 'payout') return label('payout', lang) + (to ? '（' + label(to, lang) + '）' : '')
  return label(from, lang) + '→' + label(to, lang)
}
