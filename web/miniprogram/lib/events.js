// Live events for the mini-program, which has no EventSource: GET
// /api/v1/me/events (server-sent events) read with wx.request's
// enableChunked, the bearer token in the Authorization header as for every
// other call. Chunks are UTF-8 bytes cut anywhere; a block ends at a blank
// line. The stream reconnects until closed.
const config = require('../config.js')
const session = require('./session.js')

// utf8 decodes bytes, keeping an unfinished character for the next chunk.
function utf8Decoder() {
  let rest = []
  return function decode(buffer) {
    const bytes = rest.concat(Array.from(new Uint8Array(buffer)))
    let out = ''
    let i = 0
    while (i < bytes.length) {
      const b = bytes[i]
      const n = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1
      if (i + n > bytes.length) break
      let cp = n === 1 ? b : b & (0xff >> (n + 1))
      for (let k = 1; k < n; k++) cp = (cp << 6) | (bytes[i + k] & 0x3f)
      out += String.fromCodePoint(cp)
      i += n
    }
    rest = bytes.slice(i)
    return out
  }
}

// parser turns text into (name, data) events, as the H5 app's streamEvents.
function parser(onEvent) {
  let buf = ''
  return function feed(text) {
    buf += text.replace(/\r\n/g, '\n')
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
      if (!data) continue
      try {
        onEvent(name, JSON.parse(data))
      } catch (e) {
        /* a malformed event is skipped; the history has it */
      }
    }
  }
}

// stream opens the event stream; onOpen runs when the first bytes arrive
// (the server writes ": connected" once it has subscribed).
function stream(onEvent, onOpen) {
  let closed = false
  let task = null
  function open() {
    if (closed) return
    const decode = utf8Decoder()
    const feed = parser(onEvent)
    let opened = false
    task = wx.request({
      url: config.baseURL + '/api/v1/me/events',
      method: 'GET',
      enableChunked: true,
      responseType: 'arraybuffer',
      header: { Authorization: 'Bearer ' + session.get().access, Accept: 'text/event-stream' },
      success(res) {
        if (res.statusCode === 401) closed = true
        retry()
      },
      fail: retry,
    })
    task.onChunkReceived((res) => {
      if (!opened) {
        opened = true
        if (onOpen) onOpen()
      }
      feed(decode(res.data))
    })
  }
  function retry() {
    if (!closed) setTimeout(open, 2000)
  }
  open()
  return {
    close() {
      closed = true
      if (task) task.abort()
    },
  }
}

module.exports = { stream, parser, utf8Decoder }
