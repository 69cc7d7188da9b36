// A wx for tests without WeChat DevTools. wx.request performs real HTTP
// (node's http), enableChunked included (onChunkReceived gets ArrayBuffers,
// as in WeChat), so pages talk to a real `ecard serve --demo`. Storage is in
// memory; wx.login hands out the code the test chose; navigation, payment,
// brightness and subscribe calls are recorded.
const http = require('http')

function toArrayBuffer(buf) {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)
}

function createWx(opts) {
  opts = opts || {}
  const store = new Map()
  const calls = { navigate: [], brightness: [], payments: [], subscribe: [], requests: [] }
  const wx = {
    calls,
    loginCode: opts.loginCode || 'test-user',
    getStorageSync: (k) => (store.has(k) ? JSON.parse(store.get(k)) : ''),
    setStorageSync: (k, v) => store.set(k, JSON.stringify(v)),
    removeStorageSync: (k) => store.delete(k),
    login: ({ success }) => success({ code: wx.loginCode, errMsg: 'login:ok' }),
    getSystemInfoSync: () => ({ pixelRatio: 1, windowWidth: 390 }),
    setNavigationBarTitle: () => {},
    navigateTo: ({ url }) => calls.navigate.push(url),
    reLaunch: ({ url }) => calls.navigate.push(url),
    getScreenBrightness: ({ success }) => success({ value: 0.4 }),
    setScreenBrightness: ({ value }) => calls.brightness.push(value),
    requestPayment: (o) => {
      calls.payments.push(o)
      if (opts.requestPayment) return opts.requestPayment(o)
      o.fail({ errMsg: 'requestPayment:fail cancel' })
    },
    requestSubscribeMessage: (o) => {
      calls.subscribe.push(o.tmplIds)
      o.success(Object.fromEntries(o.tmplIds.map((id) => [id, 'accept'])))
    },
    nextTick: (fn) => setTimeout(fn, 0),
    request(o) {
      calls.requests.push(o.method + ' ' + o.url)
      let chunkHandler = null
      const u = new URL(o.url)
      const body = o.data === undefined ? undefined : typeof o.data === 'string' ? o.data : JSON.stringify(o.data)
      const headers = Object.assign({}, o.header)
      if (body !== undefined) headers['Content-Length'] = Buffer.byteLength(body)
      const req = http.request({ hostname: u.hostname, port: u.port, path: u.pathname + u.search, method: o.method || 'GET', headers }, (res) => {
        const parts = []
        res.on('data', (d) => {
          if (o.enableChunked && chunkHandler) chunkHandler({ data: toArrayBuffer(d) })
          else parts.push(d)
        })
        res.on('end', () => {
          const raw = Buffer.concat(parts).toString('utf8')
          let data = raw
          if (!o.enableChunked && /json/.test(res.headers['content-type'] || '')) {
            try { data = JSON.parse(raw) } catch (e) { data = raw }
          }
          if (o.success) o.success({ statusCode: res.statusCode, data, header: res.headers })
        })
      })
      req.on('error', (e) => {
        if (aborted) return
        if (o.fail) o.fail({ errMsg: 'request:fail ' + e.message })
      })
      let aborted = false
      if (body !== undefined) req.write(body)
      req.end()
      return {
        onChunkReceived: (fn) => { chunkHandler = fn },
        abort: () => { aborted = true; req.destroy() },
      }
    },
  }
  return wx
}

module.exports = { createWx }
