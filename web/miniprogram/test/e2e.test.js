// End to end against a real `ecard serve --demo`: the wx shim performs real
// HTTP. A student signs in with WeChat (the demo's sandbox login), binds
// their card, changes the initial passwords, sees the balance, shows a pay
// code that a till charges through the signed terminal protocol and sees the
// approval arrive live; tops up through the sandbox; reports the card lost.
const config = require('../config.js')
const { createWx } = require('./wx.js')
const { page, waitFor, serve, till } = require('./harness.js')

let server
beforeAll(async () => {
  server = await serve()
  config.baseURL = server.url
})
afterAll(() => server && server.stop())

test('bind, pay at a till, top up, report loss', async () => {
  global.wx = createWx({ loginCode: 'e2e-zhangsan' })

  // Sign-in: unbound, so the bind form; a wrong password shows the server's message and what to do.
  const login = page('login')
  login.instance.onLoad()
  await login.instance.wechat()
  expect(login.instance.data.bindToken).not.toBe('')
  await login.instance.search({ detail: 'ysdx' })
  expect(login.instance.data.schools.map((s) => s.code)).toEqual(['demo'])
  login.instance.setData({ number: '2024001', password: 'wrong-one' })
  await login.instance.bind()
  expect(login.instance.data.error.code).toBe('INVALID_CREDENTIALS')
  expect(login.instance.data.error.message).toMatch(/[\u4e00-\u9fff]/)
  expect(login.instance.data.error.next).toMatch(/忘记密码请到一卡通中心重置/)
  login.instance.setData({ password: '123456' })
  await login.instance.bind()
  expect(login.instance.data.error).toBe(null)
  expect(wx.calls.navigate.pop()).toBe('/pages/password/password')

  // The initial password and PIN must be changed first.
  const pw = page('password')
  pw.instance.onLoad()
  expect(pw.instance.data.must).toBe(true)
  pw.instance.setData({ forms: { login: { old: '123456', new: 'Zhang-2026-san' }, pin: { old: '123456', new: '802413' } } })
  await pw.instance.save({ currentTarget: { dataset: { kind: 'login' } } })
  await pw.instance.save({ currentTarget: { dataset: { kind: 'pin' } } })
  expect(pw.instance.data.must).toBe(false)

  // Signing in again with the same WeChat is immediate.
  const again = page('login')
  again.instance.onLoad()
  await again.instance.wechat()
  expect(wx.calls.navigate.pop()).toBe('/pages/index/index')

  // Home: wallet 200.00, subsidy 30.00.
  const home = page('index')
  home.instance.onLoad()
  home.instance.onShow()
  await waitFor(() => home.instance.data.view, 'home')
  expect(home.querySelector('#balance').dom.textContent).toBe('200.00')
  expect(home.querySelector('#subsidy').dom.textContent).toBe('30.00')

  // The pay code: brightness up, live stream open, a till charges 12.50.
  const code = page('code')
  code.instance.onLoad({ kind: 'pay' })
  await waitFor(() => code.instance.data.code && code.instance.data.live, 'pay code and live stream')
  expect(wx.calls.brightness).toContain(1)
  const shown = code.instance.data.code
  expect(shown.numeric).toMatch(/^\d{18}$/)
    const charged = await till(server.url, { request_id: 'mp-e2e-1', amount: 1250, code: shown.code })
  expect(charged.status).toBe(200)
  expect(charged.body.status).toBe('approved')
  await waitFor(() => code.instance.data.approval, 'the approval on the pay code page')
  expect(code.querySelector('#approval-amount').dom.textContent).toBe('12.50')
  expect(code.querySelector('#approval-merchant').dom.textContent).toBe('第一食堂')
  await waitFor(() => code.instance.data.code && code.instance.data.code.code !== shown.code, 'a fresh code after paying')
  code.instance.onUnload()

  // Top-up through the sandbox provider, to the wallet.
  const topup = page('topup')
  await topup.instance.onLoad()
  expect(topup.instance.data.channel).toBe('sandbox')
  topup.instance.setData({ amount: 5000 })
  await topup.instance.pay()
  expect(topup.instance.data.error).toBe(null)
  expect(topup.querySelector('#topup-done').dom.textContent).toMatch(/50\.00/)
  home.instance.onShow()
  await waitFor(() => home.instance.data.me && home.instance.data.me.balance === 25000, 'balance after top-up')

  // History shows the payment and the top-up.
  const history = page('history')
  history.instance.onLoad()
  await waitFor(() => history.instance.data.items.length >= 2, 'history')
  const kinds = history.instance.data.items.map((x) => x.kind)
  expect(kinds).toEqual(expect.arrayContaining(['payment', 'topup']))

  // Loss report: the pay code is refused with the server's message and what to do.
  const loss = page('loss')
  loss.instance.onLoad()
  await waitFor(() => loss.instance.data.status === 'active', 'status')
  loss.instance.setData({ password: 'Zhang-2026-san' })
  await loss.instance.submit()
  expect(loss.instance.data.status).toBe('lost')
  const lostCode = page('code')
  lostCode.instance.onLoad({ kind: 'pay' })
  await waitFor(() => lostCode.instance.data.error, 'the refusal')
  expect(lostCode.instance.data.error.code).toBe('CARD_LOST')
  expect(lostCode.instance.data.error.next).toMatch(/解除挂失/)
  lostCode.instance.onUnload()
  loss.instance.setData({ password: 'Zhang-2026-san' })
  await loss.instance.submit()
  expect(loss.instance.data.status).toBe('active')

  // English: the server's message comes in English too.
  wx.setStorageSync('ecard.lang', 'en')
  loss.instance.setTexts()
  loss.instance.setData({ password: 'not-it' })
  await loss.instance.submit()
  expect(loss.instance.data.error.message).toMatch(/[a-z]/)
  expect(loss.instance.data.error.message).not.toMatch(/[\u4e00-\u9fff]/)
  expect(loss.querySelector('#loss-submit').dom.textContent).toBe('Report loss')
})
