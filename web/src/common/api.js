// One small fetch wrapper for the three front-ends: JSON in and out, the
// server's {error:{code,message}} turned into an ApiError with plain words.
export class ApiError extends Error {
  constructor(status, code, message, detail) {
    super(message || code)
    this.status = status
    this.code = code
    this.detail = detail || {}
  }
}

export function client({ prefix, token, lang, onUnauthenticated }) {
  async function request(method, path, body, headers = {}) {
    const h = { Accept: 'application/json', 'Accept-Language': lang ? lang() : 'zh', ...headers }
    const t = token && token()
    if (t) h.Authorization = 'Bearer ' + t
    let payload
    if (typeof body === 'string') {
      payload = body
    } else if (body !== undefined) {
      h['Content-Type'] = 'application/json'
      payload = JSON.stringify(body)
    }
    let res
    try {
      res = await fetch(prefix + path, { method, headers: h, body: payload })
    } catch {
      throw new ApiError(0, 'NETWORK', lang && lang() === 'en' ? 'The server cannot be reached.' : '无法连接服务器，请稍后再试。')
    }
    const text = await res.text()
    let data = null
    try {
      data = text ? JSON.parse(text) : null
    } catch {
      data = null
    }
    if (!res.ok) {
      const err = (data && data.error) || {}
      if (res.status === 401 && onUnauthenticated) onUnauthenticated()
      throw new ApiError(res.status, err.code || 'HTTP_' + res.status, err.message || res.statusText, err)
    }
    return data
  }
  return {
    get: (path, params) => request('GET', path + query(params)),
    post: (path, body, headers) => request('POST', path, body, headers),
    put: (path, body) => request('PUT', path, body),
    del: (path, body) => request('DELETE', path, body),
  }
}

export function query(params) {
  if (!params) return ''
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v)
  }
  const s = q.toString()
  return s ? '?' + s : ''
}

// yuan formats integer fen as yuan with two decimals, never through floats.
export function yuan(fen) {
  if (fen === undefined || fen === null) return '—'
  const n = Math.abs(Number(fen))
  const s = Math.floor(n / 100) + '.' + String(n % 100).padStart(2, '0')
  return (Number(fen) < 0 ? '-' : '') + s
}

// fen parses "12.5" or "12.50" yuan into 1250 fen; NaN when it is not money.
export function fen(text) {
  const m = /^\s*(\d{1,7})(?:\.(\d{1,2}))?\s*$/.exec(String(text ?? ''))
  if (!m) return NaN
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'))
}

export function when(iso) {
  if (!iso) return '—'
  const d = new Date(iso)
  if (isNaN(d)) return iso
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

// streamEvents reads server-sent events with fetch, since EventSource cannot
// send the bearer token. It reconnects until signal aborts. onOpen runs once
// the server has subscribed the stream (it sends headers only then).
export async function streamEvents(url, token, onEvent, signal, onOpen) {
  while (!signal.aborted) {
    try {
      const res = await fetch(url, { headers: { Authorization: 'Bearer ' + token(), Accept: 'text/event-stream' }, signal })
      if (res.status === 401) return
      if (onOpen) onOpen()
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buf = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buf += value.replace(/\r\n/g, '\n')
        let i
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i)
          buf = buf.slice(i + 2)
          let name = 'message'
          let data = ''
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) name = line.slice(6).trim()
            else if (line.startsWith('data:')) data += line.slice(5).trim()
          }
          if (data) {
            try {
              onEvent(name, JSON.parse(data))
            } catch {
              /* a malformed event is skipped; history has it */
            }
          }
        }
      }
    } catch {
      if (signal.aborted) return
    }
    await new Promise((r) => setTimeout(r, 2000))
  }
}
