// Component tests: the refusal box, the code drawer, the event stream parser.
const path = require('path')
const simulate = require('miniprogram-simulate')
const { createWx } = require('./wx.js')
const { parser, utf8Decoder } = require('../lib/events.js')

const root = path.join(__dirname, '..')
beforeEach(() => { global.wx = createWx() })

test('refusal shows the message and what to do next', () => {
  const c = simulate.render(simulate.load(path.join(root, 'components/refusal/refusal')),
    { error: { code: 'CARD_LOST', message: '卡片已挂失', next: '请在“挂失”页解除挂失。' } })
  c.attach(document.createElement('parent-wrapper'))
  expect(c.querySelector('#refusal').dom.textContent).toMatch(/卡片已挂失[\s\S]*解除挂失/)
  c.setData({ error: null })
  expect(c.querySelector('#refusal')).toBeUndefined()
})

test('the numeric twin encodes as CODE128 bars', () => {
  const { bars } = require('../lib/barcode.js')
  const b = bars('123456789012345678')
  expect(b).toMatch(/^[01]+$/)
  expect(b.startsWith('11010011100')).toBe(true) // start C: all digits
  expect(b.endsWith('1100011101011')).toBe(true) // stop
})

test('the stream parser handles events cut anywhere, UTF-8 included', () => {
  const got = []
  const feed = parser((name, data) => got.push([name, data]))
  const decode = utf8Decoder()
  const bytes = Buffer.from(': connected\n\nevent: payment\ndata: {"merchant":"第一食堂","amount":-1250}\n\n: heartbeat\n\n')
  for (let i = 0; i < bytes.length; i += 7) {
    const part = bytes.subarray(i, i + 7)
    feed(decode(part.buffer.slice(part.byteOffset, part.byteOffset + part.byteLength)))
  }
  expect(got).toEqual([['payment', { merchant: '第一食堂', amount: -1250 }]])
})
