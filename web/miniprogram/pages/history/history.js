// History: GET /me/transactions page by page, filtered by kind.
const base = require('../../lib/base.js')
const { api, call } = require('../../lib/api.js')
const { yuan, when } = require('../../lib/money.js')
const { t } = require('../../lib/i18n.js')

const kinds = ['', 'payment', 'topup', 'refund', 'grant']

// where names the other side: the merchant of a payment, the channel of a top-up.
function where(x) {
  if (x.kind === 'grant') return ''
  if (x.channel) return t('ch_' + x.channel)
  return x.merchant || x.terminal || ''
}

Component({
  behaviors: [base],
  data: { kinds: kinds.map((k) => ({ k, key: k ? 'kind_' + k : 'all' })), kind: '', items: [], cursor: '', finished: false, busy: false },
  methods: {
    onLoad() {
      this.titleKey = 'history'
      this.setTexts()
      this.load(true)
    },
    reload() {
      this.load(true)
    },
    pick(ev) {
      this.setData({ kind: ev.currentTarget.dataset.k })
      this.load(true)
    },
    more() {
      this.load(false)
    },
    onReachBottom() {
      if (!this.data.finished && !this.data.busy) this.load(false)
    },
    async load(reset) {
      this.clearError()
      const cursor = reset ? '' : this.data.cursor
      this.setData({ busy: true })
      try {
        const page = await call(() => api.get('/me/transactions', { query: { kind: this.data.kind, cursor, limit: 20 } }))
        const rows = page.items.map((x) => ({ id: x.id, kind: x.kind, where: where(x), when: when(x.created_at),
          amount: (x.amount > 0 ? '+' : '') + yuan(x.amount), neg: x.amount < 0, after: yuan(x.balance_after) }))
        this.setData({ items: (reset ? [] : this.data.items).concat(rows), cursor: page.next_cursor || '', finished: !page.next_cursor })
      } catch (e) {
        this.refuse(e)
      } finally {
        this.setData({ busy: false })
      }
    },
  },
})
