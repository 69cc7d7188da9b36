// code-canvas draws a code on canvas 2d: the QR from the code text
// (weapp-qrcode-canvas-2d) and, for pay codes, the 18-digit numeric twin
// as a CODE128 barcode (JsBarcode's encoder, drawn bar by bar).
const drawQrcode = require('weapp-qrcode-canvas-2d')
const { bars } = require('../../lib/barcode.js')

Component({
  properties: {
    code: { type: String, value: '' },
    numeric: { type: String, value: '' },
    size: { type: Number, value: 240 },
  },
  data: { spaced: '', barWidth: 300, modules: '' },
  observers: {
    'code, numeric'(code, numeric) {
      const modules = numeric ? bars(numeric) : ''
      this.setData({ spaced: (numeric || '').replace(/(\d{4})(?=\d)/g, '$1 '), modules, barWidth: Math.max(200, modules.length * 2) })
      if (code) wx.nextTick(() => this.draw())
    },
  },
  methods: {
    node(id) {
      return new Promise((resolve) => {
        const q = this.createSelectorQuery && this.createSelectorQuery()
        if (!q || !q.select) return resolve(null)
        q.select(id).fields({ node: true, size: true }).exec((res) => resolve(res && res[0] && res[0].node))
      })
    },
    async draw() {
      const qr = await this.node('#qr')
      if (qr) {
        await drawQrcode({ canvas: qr, text: this.data.code, width: this.data.size, padding: 8, correctLevel: 0 /* M */ })
      }
      const bar = this.data.modules && (await this.node('#bar'))
      if (bar) {
        const ctx = bar.getContext('2d')
        const m = this.data.modules
        bar.width = m.length * 2
        bar.height = 72
        ctx.fillStyle = '#fff'
        ctx.fillRect(0, 0, bar.width, bar.height)
        ctx.fillStyle = '#000'
        for (let i = 0; i < m.length; i++) if (m[i] === '1') ctx.fillRect(i * 2, 0, 2, 72)
      }
      this.triggerEvent('drawn', { qr: !!qr, bar: !!bar })
    },
  },
})
