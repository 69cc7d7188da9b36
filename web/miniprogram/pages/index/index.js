// Home: wallet, subsidy, pending (待圈存), card purse and today's spending
// against the limits; the way to every other page; the subscribe consent.
const base = require('../../lib/base.js')
const config = require('../../config.js')
const { api, call } = require('../../lib/api.js')
const session = require('../../lib/session.js')
const { yuan } = require('../../lib/money.js')

const actions = [
  ['/pages/code/code?kind=pay', 'payCode'], ['/pages/code/code?kind=identity', 'idCode'], ['/pages/topup/topup', 'topup'],
  ['/pages/history/history', 'history'], ['/pages/loss/loss', 'loss'], ['/pages/password/password', 'passwords'],
  ['/pages/limits/limits', 'limits'],
]

Component({
  behaviors: [base],
  data: { me: null, view: null, actions: actions.map(([url, key]) => ({ url, key })), notices: false },
  methods: {
    onLoad() {
      this.titleKey = 'app'
    },
    onShow() {
      if (!session.get().access) {
        wx.reLaunch({ url: '/pages/login/login' })
        return
      }
      this.setTexts()
      this.reload()
    },
    async reload() {
      this.clearError()
      try {
        const me = await call(() => api.get('/me'))
        const share = me.limits.per_day ? Math.min(100, Math.round((me.spent_today * 100) / me.limits.per_day)) : 0
        this.setData({ me, view: { balance: yuan(me.balance), subsidy: yuan(me.subsidy), pending: yuan(me.pending),
          purse: yuan(me.purse), spent: yuan(me.spent_today), perDay: yuan(me.limits.per_day),
          perPayment: yuan(me.limits.per_payment), share, hasPurse: me.purse !== undefined } })
      } catch (e) {
        this.refuse(e)
      }
    },
    // subscribe asks for the payment and top-up notices the server sends
    // through the templates configured on both sides.
    subscribe() {
      const ids = [config.templates.payment, config.templates.topup].filter(Boolean)
      if (!ids.length || !wx.requestSubscribeMessage) return
      wx.requestSubscribeMessage({
        tmplIds: ids,
        success: (res) => this.setData({ notices: ids.some((id) => res[id] === 'accept') }),
      })
    },
    async logout() {
      try {
        await api.post('/auth/logout')
      } catch (e) {
        /* signing out here is what matters */
      }
      session.clear()
      wx.reLaunch({ url: '/pages/login/login' })
    },
  },
})
