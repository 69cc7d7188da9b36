// The H5 app's texts (web/src/holder/messages.js) and the mini-program's own,
// in Chinese and English; the language switch is stored like the H5 app's.
const messages = {
  zh: {
    app: '校园e码通', login: '登录', school: '学校', number: '学号/工号', password: '密码', logout: '退出登录',
    wechatLogin: '微信一键登录', bindTitle: '首次使用：绑定校园卡', bindHint: '请选择学校并输入学号/工号和查询密码，绑定后下次打开即可自动登录。',
    searchSchool: '输入学校名称或拼音首字母', chooseSchool: '请选择学校', bind: '绑定并登录',
    balance: '余额', subsidy: '补贴', pending: '待圈存', purse: '卡内余额', status: '状态', spentToday: '今日消费',
    perPayment: '单笔限额', perDay: '每日限额', payCode: '付款码', idCode: '身份码', topup: '充值', history: '账单',
    loss: '挂失', passwords: '修改密码', limits: '消费限额', yuan: '元', home: '首页', back: '返回',
    refreshIn: '{n} 秒后刷新', refresh: '刷新', payHint: '请向收银员出示付款码', paid: '支付成功',
    merchant: '商户', amount: '金额', balanceAfter: '余额', idHint: '门禁与身份核验使用，请勿用于付款',
    amountCustom: '其他金额（元）', payNow: '去支付', sandboxNote: '演示环境：由沙箱支付完成付款',
    topupDone: '充值成功，已到账 {amount} 元', topupWaiting: '等待支付结果…', all: '全部',
    toWallet: '充到电子账户', toCard: '充到校园卡（待圈存）', toCardHint: '充到卡上的钱先记为待圈存，下次刷卡或在自助机上写入卡片。',
    kind_payment: '消费', kind_topup: '充值', kind_refund: '退款', kind_subsidy: '补贴', kind_grant: '补贴',
    kind_expiry: '补贴过期', kind_move: '转账', kind_close: '销户', loadMore: '加载更多', noMore: '没有更多了', empty: '暂无记录',
    lost: '已挂失', active: '正常', frozen: '已冻结', closed: '已销户', expired: '已过期',
    reportLoss: '挂失', cancelLoss: '解除挂失', lossHint: '挂失后卡片和付款码立即停用，输入登录密码确认。',
    lossDone: '已挂失', lossCancelled: '已解除挂失',
    loginPassword: '登录密码', pin: '支付密码（6 位数字）', oldValue: '原密码', newValue: '新密码', save: '保存',
    saved: '已保存', pinForLimits: '支付密码', schoolMax: '学校上限 {v} 元', language: 'English',
    mustChange: '您正在使用初始密码，请先修改。', ch_sandbox: '演示支付', ch_wechatpay: '微信支付', ch_alipay: '支付宝', kind: '类型',
    lossActive: '卡片已挂失，付款码不可用。', notices: '接收消费和充值通知', noticesOn: '已开启通知', live: '实时到账提醒已连接',
    limitPin: '本笔超出限额：请在收银台输入 6 位支付密码。', payCancelled: '已取消支付',
    preview: '预览',
    next_INVALID_CREDENTIALS: '请检查学校、学号和密码后重试；忘记密码请到一卡通中心重置。',
    next_ACCOUNT_LOCKED: '请 30 分钟后再试，或到一卡通中心解锁。',
    next_INSUFFICIENT_FUNDS: '请先充值。', next_LIMIT_EXCEEDED: '请在收银台输入支付密码，或调整消费限额。',
    next_WRONG_PIN: '请核对支付密码；连续输错 5 次将被锁定。', next_PIN_LOCKED: '支付密码已锁定，请到一卡通中心或自助机重置。',
    next_CODE_EXPIRED: '请刷新付款码。', next_CODE_USED: '请刷新付款码。', next_CODE_INVALID: '请刷新付款码。',
    next_CARD_LOST: '卡片已挂失：如已找回，请在“挂失”页解除挂失。', next_ACCOUNT_FROZEN: '账户已冻结，请到一卡通中心或自助机解冻。',
    next_ACCOUNT_CLOSED: '账户已销户，如有疑问请联系一卡通中心。', next_RATE_LIMITED: '操作太频繁，请稍后再试。',
    next_UNAUTHENTICATED: '请重新登录。', next_NETWORK: '请检查网络后重试。', next_INVALID_REQUEST: '请检查填写的内容。',
    next_PROVIDER_UNAVAILABLE: '支付服务暂时不可用，请稍后再试。', next_NOT_FOUND: '请联系一卡通中心。',
  },
  en: {
    app: 'Campus e-Code', login: 'Sign in', school: 'School', number: 'Student / staff number', password: 'Password', logout: 'Sign out',
    wechatLogin: 'Sign in with WeChat', bindTitle: 'First time: bind your card', bindHint: 'Choose your school and enter your number and login password; next time you are signed in at once.',
    searchSchool: 'School name or pinyin initials', chooseSchool: 'Choose your school', bind: 'Bind and sign in',
    balance: 'Balance', subsidy: 'Subsidy', pending: 'Pending', purse: 'On card', status: 'Status', spentToday: 'Spent today',
    perPayment: 'Per payment', perDay: 'Per day', payCode: 'Pay code', idCode: 'ID code', topup: 'Top up', history: 'History',
    loss: 'Report loss', passwords: 'Passwords', limits: 'Limits', yuan: 'CNY', home: 'Home', back: 'Back',
    refreshIn: 'Refreshes in {n} s', refresh: 'Refresh', payHint: 'Show this code to the cashier', paid: 'Payment approved',
    merchant: 'Merchant', amount: 'Amount', balanceAfter: 'Balance', idHint: 'For gates and identity checks, not for paying',
    amountCustom: 'Other amount (CNY)', payNow: 'Pay', sandboxNote: 'Demo: the sandbox provider pays the order',
    topupDone: 'Top-up done: {amount} CNY added', topupWaiting: 'Waiting for the payment…', all: 'All',
    toWallet: 'To my wallet', toCard: 'To my card (pending)', toCardHint: 'Money for the card waits as pending until your next tap or a kiosk writes it.',
    kind_payment: 'Payment', kind_topup: 'Top-up', kind_refund: 'Refund', kind_subsidy: 'Subsidy', kind_grant: 'Subsidy',
    kind_expiry: 'Subsidy expired', kind_move: 'Transfer', kind_close: 'Closed', loadMore: 'Load more', noMore: 'No more', empty: 'Nothing yet',
    lost: 'Lost', active: 'Active', frozen: 'Frozen', closed: 'Closed', expired: 'Expired',
    reportLoss: 'Report loss', cancelLoss: 'Cancel loss report', lossHint: 'Your card and pay codes stop at once. Confirm with your login password.',
    lossDone: 'Loss reported', lossCancelled: 'Loss report cancelled',
    loginPassword: 'Login password', pin: 'Payment PIN (6 digits)', oldValue: 'Current', newValue: 'New', save: 'Save',
    saved: 'Saved', pinForLimits: 'Payment PIN', schoolMax: 'School maximum {v} CNY', language: '中文',
    mustChange: 'You are using an initial password; please change it first.', ch_sandbox: 'Sandbox', ch_wechatpay: 'WeChat Pay', ch_alipay: 'Alipay', kind: 'Kind',
    lossActive: 'The card is reported lost; pay codes are off.', notices: 'Get payment and top-up notices', noticesOn: 'Notices on', live: 'Live approvals connected',
    limitPin: 'Above your limit: enter your 6-digit PIN at the till.', payCancelled: 'Payment cancelled',
    preview: 'Preview',
    next_INVALID_CREDENTIALS: 'Check school, number and password; the card office resets forgotten passwords.',
    next_ACCOUNT_LOCKED: 'Try again in 30 minutes, or ask the card office.',
    next_INSUFFICIENT_FUNDS: 'Top up first.', next_LIMIT_EXCEEDED: 'Enter your PIN at the till, or change your limits.',
    next_WRONG_PIN: 'Check your PIN; 5 wrong tries lock it.', next_PIN_LOCKED: 'Your PIN is locked: reset it at the card office or a kiosk.',
    next_CODE_EXPIRED: 'Refresh the pay code.', next_CODE_USED: 'Refresh the pay code.', next_CODE_INVALID: 'Refresh the pay code.',
    next_CARD_LOST: 'Your card is reported lost: cancel the report on the loss page if you found it.', next_ACCOUNT_FROZEN: 'Your account is frozen: unfreeze it at the card office or a kiosk.',
    next_ACCOUNT_CLOSED: 'The account is closed; ask the card office.', next_RATE_LIMITED: 'Too many tries: wait a minute.',
    next_UNAUTHENTICATED: 'Sign in again.', next_NETWORK: 'Check your network and retry.', next_INVALID_REQUEST: 'Check what you entered.',
    next_PROVIDER_UNAVAILABLE: 'The payment service is unavailable; try again later.', next_NOT_FOUND: 'Ask the card office.',
  },
}

function lang() {
  return wx.getStorageSync('ecard.lang') === 'en' ? 'en' : 'zh'
}

function setLang(l) {
  wx.setStorageSync('ecard.lang', l === 'en' ? 'en' : 'zh')
}

// t looks a message up in the current language, filling {name} holes.
function t(key, vars) {
  const s = messages[lang()][key] || messages.zh[key] || key
  return vars ? s.replace(/\{(\w+)\}/g, (_, k) => vars[k]) : s
}

// texts is every message of the current language, for a page's data.
function texts() {
  return Object.assign({}, messages.zh, messages[lang()])
}

module.exports = { messages, lang, setLang, t, texts }
