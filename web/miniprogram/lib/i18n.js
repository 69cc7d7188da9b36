// The H5 app's texts (web/src/holder/messages.js, copied into
// lib/h5-messages.js by scripts/build-npm.js) with the mini-program's own on
// top, in Chinese and English; the language switch is stored like the H5 app's.
const h5 = require('./h5-messages.js')

const own = {
  zh: {
    app: '校园e码通',
    wechatLogin: '微信一键登录', bindTitle: '首次使用：绑定校园卡', bindHint: '请选择学校并输入学号/工号和查询密码，绑定后下次打开即可自动登录。',
    searchSchool: '输入学校名称或拼音首字母', bind: '绑定并登录',
    pending: '待圈存', purse: '卡内余额',
    toWallet: '充到电子账户', toCard: '充到校园卡（待圈存）', toCardHint: '充到卡上的钱先记为待圈存，下次刷卡或在自助机上写入卡片。',
    notices: '接收消费和充值通知', noticesOn: '已开启通知', live: '实时到账提醒已连接',
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
    app: 'Campus e-Code',
    wechatLogin: 'Sign in with WeChat', bindTitle: 'First time: bind your card', bindHint: 'Choose your school and enter your number and login password; next time you are signed in at once.',
    searchSchool: 'School name or pinyin initials', bind: 'Bind and sign in',
    purse: 'On card',
    toWallet: 'To my wallet', toCard: 'To my card (pending)', toCardHint: 'Money for the card waits as pending until your next tap or a kiosk writes it.',
    notices: 'Get payment and top-up notices', noticesOn: 'Notices on', live: 'Live approvals connected',
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
const messages = {
  zh: Object.assign({}, h5.zh, own.zh),
  en: Object.assign({}, h5.en, own.en),
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
