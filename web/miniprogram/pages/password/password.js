// Login password and PIN: PUT /me/password; forced while an initial one is in use.
const base = require('../../lib/base.js')
const { api, call } = require('../../lib/api.js')
const session = require('../../lib/session.js')
const { t } = require('../../lib/i18n.js')

Component({
  behaviors: [base],
  data: { kinds: ['login', 'pin'], must: false, forms: { login: { old: '', new: '' }, pin: { old: '', new: '' } }, done: {}, errors: {} },
  methods: {
    onLoad() {
      this.titleKey = 'passwords'
      this.setTexts()
      const h = session.get().holder
      this.setData({ must: !!(h && (h.must_change_password || h.must_change_pin)) })
    },
    input(ev) {
      const { kind, field } = ev.currentTarget.dataset
      this.setData({ ['forms.' + kind + '.' + field]: ev.detail })
    },
    async save(ev) {
      const kind = ev.currentTarget.dataset.kind
      const f = this.data.forms[kind]
      this.setData({ done: {}, errors: {} })
      try {
        await call(() => api.put('/me/password', { kind, old: f.old, new: f.new }))
        session.changed(kind)
        const h = session.get().holder
        this.setData({ ['forms.' + kind]: { old: '', new: '' }, done: { [kind]: t('saved') },
          must: !!(h && (h.must_change_password || h.must_change_pin)) })
      } catch (e) {
        const { refusal } = require('../../lib/refusal.js')
        this.setData({ errors: { [kind]: refusal(e) } })
      }
    },
  },
})
