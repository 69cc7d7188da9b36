// bars encodes text as CODE128 with JsBarcode's encoder: a string of
// 1 (bar) and 0 (space) modules, drawn on the canvas bar by bar.
const JsBarcode = require('jsbarcode')

function bars(text) {
  const out = {}
  JsBarcode(out, text, { format: 'CODE128' })
  return out.encodings.map((e) => e.data).join('')
}

module.exports = { bars }
