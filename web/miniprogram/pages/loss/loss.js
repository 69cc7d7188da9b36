// Loss report and its cancellation: POST or DELETE /me/loss with the login password.
const base = require('../../lib/base.js')
const { api, call } = require('../../lib/api.js')
const { t } = require('../../lib/i18n.js')

Component({
  behaviors: [base],
  data: { status: '', password: '', done: '' },
  methods: {
    onLoad() {
      this.titleKey = 'loss'
      this.setTexts()
      this.reload()
    },
    async reload() {
      try {
        this.setData({ status: (await call(() => api.get('/me'))).status })
      } catch (e) {
        this.refuse(e)
      }
    },
    input(ev) {
      this.setData({ password: ev.detail })
    },
    async submit() {
      this.clearError()
      this.setData({ done: '' })
      const cancel = this.data.status === 'lost'
      try {
        const body = { password: this.data.password }
        const r = await call(() => (cancel ? api.del('/me/loss', body) : api.post('/me/loss', body)))
        this.setData({ status: r.status, password: '', done: cancel ? t('lossCancelled') : t('lossDone') })
      } catch (e) {
        this.refuse(e)
      }
    },
  },
})
