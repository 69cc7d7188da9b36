// Loads pages the way WeChat does (each page is a Component), with the
// app's global components, and starts a real `ecard serve --demo`.
const path = require('path')
const fs = require('fs')
const os = require('os')
const net = require('net')
const crypto = require('crypto')
const { spawn } = require('child_process')
const http = require('http')

// send is a plain HTTP call (jsdom has no fetch).
function send(url, method, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const parts = []
      res.on('data', (d) => parts.push(d))
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(parts).toString('utf8') }))
    })
    req.on('error', reject)
    if (body) req.write(body)
    req.end()
  })
}
const simulate = require('miniprogram-simulate')

const root = path.join(__dirname, '..')
const app = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8'))

function components(extra) {
  const out = {}
  for (const [tag, p] of Object.entries(Object.assign({}, app.usingComponents, extra || {}))) {
    out[tag] = p.startsWith('/') ? path.join(root, p) : path.join(root, 'miniprogram_npm', p)
  }
  return out
}

// page renders pages/<name>/<name> and returns the component.
const loaded = {}
function page(name) {
  const file = path.join(root, 'pages', name, name)
  const own = JSON.parse(fs.readFileSync(file + '.json', 'utf8')).usingComponents
  // A definition loads once; each render is a new page.
  const id = loaded[name] || (loaded[name] = simulate.load(file, { rootPath: root, usingComponents: components(own) }))
  const c = simulate.render(id)
  c.attach(document.createElement('parent-wrapper'))
  return c
}

async function waitFor(fn, what, ms) {
  const end = Date.now() + (ms || 15000)
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > end) throw new Error('timed out waiting for ' + what)
    await new Promise((r) => setTimeout(r, 50))
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

// serve starts `ecard serve --demo` on a free port with its own data dir:
// ECARD_BIN when set (the Go test builds it), else `go run ./cmd/ecard`.
async function serve() {
  const port = await freePort()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecard-mp-'))
  const repo = path.join(root, '..', '..')
  const env = Object.assign({}, process.env, { ECARD_DATA_DIR: dir, ECARD_HTTP_ADDR: '127.0.0.1:' + port,
    ECARD_DATABASE_URL: '', ECARD_REDIS_URL: '', ECARD_ARGON2_MEMORY_KIB: '1024' })
  const [cmd, args] = process.env.ECARD_BIN ? [process.env.ECARD_BIN, []] : ['go', ['run', './cmd/ecard']]
  const child = spawn(cmd, args.concat(['serve', '--demo']), { cwd: repo, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let log = ''
  child.stdout.on('data', (d) => { log += d })
  child.stderr.on('data', (d) => { log += d })
  const url = 'http://127.0.0.1:' + port
  const end = Date.now() + 170000
  for (;;) {
    if (child.exitCode !== null) throw new Error('ecard serve exited:\n' + log)
    try {
      const r = await send(url + '/healthz', 'GET')
      if (r.status === 200) break
    } catch (e) { /* not yet */ }
    if (Date.now() > end) throw new Error('ecard serve did not start:\n' + log)
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    url,
    log: () => log,
    stop() {
      try { process.kill(-child.pid, 'SIGTERM') } catch (e) { /* gone */ }
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

// till charges a code through the signed terminal protocol (API.md).
async function till(url, body, terminal, secret) {
  terminal = terminal || 'demo-pos-1'
  secret = secret || 'demo-pos-1-secret-change-me'
  const raw = JSON.stringify(body)
  const ts = String(Math.floor(Date.now() / 1000))
  const nonce = crypto.randomBytes(16).toString('hex')
  const p = '/tgw/v1/payments'
  const sig = crypto.createHmac('sha256', secret)
    .update(['POST', p, ts, nonce, crypto.createHash('sha256').update(raw).digest('hex')].join('\n')).digest('hex')
  const r = await send(url + p, 'POST', raw, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(raw),
    'X-Ecard-Terminal': terminal, 'X-Ecard-Timestamp': ts, 'X-Ecard-Nonce': nonce, 'X-Ecard-Signature': sig })
  return { status: r.status, body: JSON.parse(r.text) }
}

module.exports = { page, waitFor, serve, till, root }
