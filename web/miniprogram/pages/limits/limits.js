// Own limits: PUT /me/limits with the PIN, never above the school's.
const base = require('../../lib/base.js')
const { api, call } = require('../../lib/api.js')
const { fen, yuan } = require('../../lib/money.js')
const { t } = require('../../lib/i18n.js')

Component({
  behaviors: [base],
  data: { perPayment: '', perDay: '', pin: '', maxPayment: '', maxDay: '', done: '' },
  methods: {
    onLoad() {
      this.titleKey = 'limits'
      this.setTexts()
      this.reload()
    },
    async reload() {
      try {
        const me = await call(() => api.get('/me'))
        this.setData({ perPayment: yuan(me.limits.per_payment), perDay: yuan(me.limits.per_day),
          maxPayment: t('schoolMax', { v: yuan(me.school_limits.per_payment) }), maxDay: t('schoolMax', { v: yuan(me.school_limits.per_day) }) })
      } catch (e) {
        this.refuse(e)
      }
    },
    input(ev) {
      this.setData({ [ev.currentTarget.dataset.name]: ev.detail })
    },
    async save() {
      this.clearError()
      this.setData({ done: '' })
      try {
        await call(() => api.put('/me/limits', { per_payment: fen(this.data.perPayment), per_day: fen(this.data.perDay), pin: this.data.pin }))
        this.setData({ pin: '', done: t('saved') })
      } catch (e) {
        this.refuse(e)
      }
    },
  },
})
