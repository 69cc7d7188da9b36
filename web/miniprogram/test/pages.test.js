// Every page in app.json exists with its four files, and every path the
// mini-program calls is a route of docs/openapi.yaml (API.md's contract).
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..')
const app = JSON.parse(fs.readFileSync(path.join(root, 'app.json'), 'utf8'))

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name)
    if (e.isDirectory()) return sources(p)
    return p.endsWith('.js') ? [p] : []
  })
}

function openapiPaths() {
  const yaml = fs.readFileSync(path.join(root, '..', '..', 'docs', 'openapi.yaml'), 'utf8')
  const paths = new Set()
  let inPaths = false
  for (const line of yaml.split('\n')) {
    if (/^paths:/.test(line)) inPaths = true
    else if (/^\S/.test(line)) inPaths = false
    else if (inPaths) {
      const m = /^ {2}(\/\S*):\s*$/.exec(line)
      if (m) paths.add(m[1])
    }
  }
  return paths
}

test('every page of app.json exists', () => {
  for (const page of app.pages) {
    for (const ext of ['js', 'json', 'wxml', 'wxss']) {
      expect(fs.existsSync(path.join(root, page + '.' + ext))).toBe(true)
    }
  }
  for (const c of Object.values(app.usingComponents)) {
    const file = c.startsWith('/') ? path.join(root, c + '.js') : path.join(root, 'miniprogram_npm', c + '.js')
    expect(fs.existsSync(file)).toBe(true)
  }
})

test('every wx.request path is a documented route', () => {
  const documented = openapiPaths()
  expect(documented.size).toBeGreaterThan(10)
  const called = new Set()
  for (const file of [...sources(path.join(root, 'lib')), ...sources(path.join(root, 'pages')), ...sources(path.join(root, 'components'))]) {
    const src = fs.readFileSync(file, 'utf8')
    for (const m of src.matchAll(/api\.(?:get|post|put|del)\('([^']+)'/g)) {
      called.add(m[1].startsWith('/sandbox/') ? m[1] : '/api/v1' + m[1])
    }
    for (const m of src.matchAll(/baseURL \+ '([^']+)'/g)) called.add(m[1])
  }
  expect(called.size).toBeGreaterThan(12)
  for (const p of called) {
    expect({ path: p, documented: documented.has(p) }).toEqual({ path: p, documented: true })
  }
})
