// Top-up: POST /me/topups, then wx.requestPayment with the JSAPI fields the
// server returns (WeChat Pay), or the sandbox standing in for it in the demo;
// the order is then followed until it is paid. Money goes to the wallet, or
// with to_card to the card (待圈存) for the next tap or kiosk visit.
const base = require('../../lib/base.js')
const { api, call } = require('../../lib/api.js')
const { fen, yuan } = require('../../lib/money.js')
const { t } = require('../../lib/i18n.js')

const presets = [1000, 2000, 5000, 10000]
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

function requestPayment(pay) {
  return new Promise((resolve, reject) => wx.requestPayment({
    timeStamp: pay.timeStamp, nonceStr: pay.nonceStr, package: pay.package, signType: pay.signType, paySign: pay.paySign,
    success: resolve, fail: reject,
  }))
}

Component({
  behaviors: [base],
  data: { presets: presets.map((p) => ({ fen: p, label: yuan(p).replace('.00', '') })), amount: 5000, custom: '',
    channels: [], channel: '', toCard: false, busy: false, done: '', waiting: '' },
  methods: {
    async onLoad() {
      this.titleKey = 'topup'
      this.setTexts()
      try {
        const channels = (await api.get('/topup-channels')).items
        // The mini-program pays with WeChat Pay; the sandbox only in the demo.
        const usable = channels.filter((c) => c === 'wechatpay' || c === 'sandbox')
        this.setData({ channels: usable, channel: usable[0] || '' })
      } catch (e) {
        this.refuse(e)
      }
    },
    preset(ev) {
      this.setData({ amount: Number(ev.currentTarget.dataset.fen), custom: '' })
    },
    input(ev) {
      this.setData({ custom: ev.detail })
    },
    target(ev) {
      this.setData({ toCard: ev.currentTarget.dataset.card === 'yes' })
    },
    async pay() {
      this.clearError()
      this.setData({ done: '', waiting: '' })
      const amount = this.data.custom ? fen(this.data.custom) : this.data.amount
      if (!(amount > 0)) {
        this.refuse({ code: 'INVALID_REQUEST', message: t('amountCustom') + ' ?' })
        return
      }
      this.setData({ busy: true })
      try {
        const order = await call(() => api.post('/me/topups', { amount, channel: this.data.channel, to_card: this.data.toCard }))
        if (this.data.channel === 'wechatpay') {
          try {
            await requestPayment(order.pay)
          } catch (e) {
            this.refuse({ code: 'PAY_CANCELLED', message: t('payCancelled') })
            return
          }
        } else if (this.data.channel === 'sandbox' && order.pay && order.pay.url) {
          await api.post('/sandbox/pay/{order_no}', undefined, { params: { order_no: order.order_no } })
        }
        await this.follow(order.order_no)
      } catch (e) {
        this.refuse(e)
      } finally {
        this.setData({ busy: false })
      }
    },
    // follow waits for the provider's notification to credit the order.
    async follow(no) {
      this.setData({ waiting: t('topupWaiting') })
      for (let i = 0; i < 30; i++) {
        const o = await call(() => api.get('/me/topups/{order_no}', { params: { order_no: no } }))
        if (o.status === 'paid') {
          this.setData({ waiting: '', done: t('topupDone', { amount: yuan(o.amount) }) })
          return
        }
        await sleep(1000)
      }
    },
  },
})
