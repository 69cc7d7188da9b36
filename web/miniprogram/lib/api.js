// The holder API over wx.request: JSON in and out, the bearer token, the
// language (the server's error.message is Chinese by default, English with
// Accept-Language: en), and {error:{code,message}} turned into an ApiError.
// Paths are API.md's routes, written with their {params}, so a test can
// check every one against docs/openapi.yaml.
const config = require('../config.js')
const { lang } = require('./i18n.js')
const session = require('./session.js')

class ApiError extends Error {
  constructor(status, code, message) {
    super(message || code)
    this.status = status
    this.code = code
  }
}

function fill(path, params) {
  return path.replace(/\{(\w+)\}/g, (_, k) => encodeURIComponent(params[k]))
}

function query(q) {
  const parts = []
  for (const k of Object.keys(q || {})) {
    const v = q[k]
    if (v !== undefined && v !== null && v !== '') parts.push(encodeURIComponent(k) + '=' + encodeURIComponent(v))
  }
  return parts.length ? '?' + parts.join('&') : ''
}

function headers() {
  const h = { Accept: 'application/json', 'Accept-Language': lang() === 'en' ? 'en' : 'zh' }
  const token = session.get().access
  if (token) h.Authorization = 'Bearer ' + token
  return h
}

// request sends one call; opts.params fills {params}, opts.query the query string.
function request(method, path, body, opts) {
  opts = opts || {}
  const url = config.baseURL + (path.startsWith('/api/') || path.startsWith('/sandbox/') ? '' : '/api/v1') +
    fill(path, opts.params || {}) + query(opts.query)
  return new Promise((resolve, reject) => {
    wx.request({
      url, method, header: Object.assign(headers(), body !== undefined ? { 'Content-Type': 'application/json' } : {}),
      data: body === undefined ? undefined : body,
      success(res) {
        const data = typeof res.data === 'string' && res.data ? safeJSON(res.data) : res.data
        if (res.statusCode >= 200 && res.statusCode < 300) return resolve(data)
        const err = (data && data.error) || {}
        reject(new ApiError(res.statusCode, err.code || 'HTTP_' + res.statusCode, err.message))
      },
      fail() {
        reject(new ApiError(0, 'NETWORK', lang() === 'en' ? 'The server cannot be reached.' : '无法连接服务器，请稍后再试。'))
      },
    })
  })
}

function safeJSON(s) {
  try {
    return JSON.parse(s)
  } catch (e) {
    return null
  }
}

const api = {
  get: (path, opts) => request('GET', path, undefined, opts),
  post: (path, body, opts) => request('POST', path, body, opts),
  put: (path, body, opts) => request('PUT', path, body, opts),
  del: (path, body, opts) => request('DELETE', path, body, opts),
}

// call runs an API call; an expired access token is refreshed once, and a
// refused refresh sends the holder back to sign-in.
async function call(fn) {
  try {
    return await fn()
  } catch (e) {
    const refresh = session.get().refresh
    if (e.status !== 401 || !refresh) throw e
    try {
      const pair = await api.post('/auth/refresh', { refresh_token: refresh })
      session.save(Object.assign({}, session.get(), { access: pair.access_token, refresh: pair.refresh_token }))
    } catch (e2) {
      session.clear()
      wx.reLaunch({ url: '/pages/login/login' })
      throw e
    }
    return fn()
  }
}

module.exports = { api, call, ApiError, request }
