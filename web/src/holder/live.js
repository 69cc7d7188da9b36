import { session } from './store.js'

// The events that move the holder's money (API.md: /api/v1/me/events).
const moneyEvents = new Set(['payment', 'topup', 'refund', 'subsidy', 'balance'])

// live follows the holder's event stream and calls onMoney on every money
// movement. EventSource cannot send the bearer token, so the stream is read
// through fetch. It reconnects after a pause and stops when stop() is called.
export function live(onMoney) {
  let stopped = false
  let ctrl = null
  async function follow() {
    while (!stopped) {
      try {
        ctrl = new AbortController()
        const res = await fetch('/api/v1/me/events', { headers: { Authorization: 'Bearer ' + session.access, Accept: 'text/event-stream' }, signal: ctrl.signal })
        if (!res.ok || !res.body) throw new Error('events ' + res.status)
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
        let buf = ''
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          buf += value
          let i
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i)
            buf = buf.slice(i + 2)
            const name = (block.match(/^event: (.*)$/m) || [])[1]
            if (name && moneyEvents.has(name)) onMoney(name)
          }
        }
      } catch {
        // the stream broke or was stopped: wait and reconnect
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 3000))
    }
  }
  follow()
  return () => {
    stopped = true
    if (ctrl) ctrl.abort()
  }
}
