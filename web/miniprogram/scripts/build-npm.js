// build-npm does what WeChat DevTools' "工具 → 构建 npm" does, so the
// mini-program builds without DevTools: every dependency in package.json is
// copied from node_modules into miniprogram_npm/<name>. A package with a
// "miniprogram" field (Vant Weapp: lib/) gives that folder; any other package
// gives the folder of its "main" file plus an index.js that requires it.
'use strict'
const fs = require('fs')
const path = require('path')

const root = path.join(__dirname, '..')
const out = path.join(root, 'miniprogram_npm')
const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'))

fs.rmSync(out, { recursive: true, force: true })
for (const name of Object.keys(pkg.dependencies || {})) {
  const dir = path.join(root, 'node_modules', name)
  const meta = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'))
  const dest = path.join(out, name)
  if (meta.miniprogram) {
    fs.cpSync(path.join(dir, meta.miniprogram), dest, { recursive: true })
    continue
  }
  const main = path.normalize(meta.main || 'index.js').replace(/^\.\//, '')
  const sub = path.dirname(main)
  fs.cpSync(path.join(dir, sub), path.join(dest, sub), { recursive: true })
  if (main !== 'index.js') {
    fs.writeFileSync(path.join(dest, 'index.js'), `module.exports = require('./${main.split(path.sep).join('/')}')\n`)
  }
}
console.log('miniprogram_npm built:', Object.keys(pkg.dependencies).join(', '))
