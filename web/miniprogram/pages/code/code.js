// The pay code (QR and barcode twin) or the identity code: refreshed before
// it expires, the screen brightened while it shows, and the till's approval
// arriving live on the event stream.
const base = require('../../lib/base.js')
const { api, call } = require('../../lib/api.js')
const { stream } = require('../../lib/events.js')
const { yuan } = require('../../lib/money.js')
const { t } = require('../../lib/i18n.js')

Component({
  behaviors: [base],
  data: { kind: 'pay', code: null, left: 0, countdown: '', approval: null, live: false, notice: '' },
  methods: {
    onLoad(q) {
      const kind = q && q.kind === 'identity' ? 'identity' : 'pay'
      this.titleKey = kind === 'pay' ? 'payCode' : 'idCode'
      this.setData({ kind })
      this.setTexts()
      this.brighten()
      this.refresh()
      this.timer = setInterval(() => this.tick(), 1000)
      if (kind === 'pay') {
        this.events = stream((name, data) => this.onEvent(name, data), () => this.setData({ live: true }))
      }
    },
    onUnload() {
      clearInterval(this.timer)
      if (this.events) this.events.close()
      if (this.brightness !== undefined && wx.setScreenBrightness) wx.setScreenBrightness({ value: this.brightness })
    },
    brighten() {
      if (!wx.getScreenBrightness || !wx.setScreenBrightness) return
      wx.getScreenBrightness({ success: (r) => { this.brightness = r.value } })
      wx.setScreenBrightness({ value: 1 })
    },
    tick() {
      if (this.data.left > 0) {
        const left = this.data.left - 1
        this.setData({ left, countdown: t('refreshIn', { n: left }) })
        if (left === 0) this.refresh()
      }
    },
    reload() {
      this.refresh()
    },
    async refresh() {
      this.clearError()
      try {
        const code = await call(() => api.post('/me/codes', { kind: this.data.kind }))
        const left = code.refresh_in || 30
        this.setData({ code, left, countdown: t('refreshIn', { n: left }) })
      } catch (e) {
        this.setData({ code: null })
        this.refuse(e)
      }
    },
    onEvent(name, data) {
      if (name === 'payment') {
        this.setData({ notice: '', approval: { merchant: data.merchant || data.terminal, amount: yuan(Math.abs(data.amount)), balance: yuan(data.balance_after) } })
        this.refresh()
      } else if (name === 'payment_declined' && data.code === 'LIMIT_EXCEEDED') {
        this.setData({ notice: this.data.t.limitPin })
      }
    },
  },
})
