// Money is integer fen; these format and parse it without floats (as the H5 app).
function yuan(fen) {
  if (fen === undefined || fen === null) return '—'
  const n = Math.abs(Number(fen))
  const s = Math.floor(n / 100) + '.' + String(n % 100).padStart(2, '0')
  return (Number(fen) < 0 ? '-' : '') + s
}

function fen(text) {
  const m = /^\s*(\d{1,7})(?:\.(\d{1,2}))?\s*$/.exec(String(text == null ? '' : text))
  if (!m) return NaN
  return Number(m[1]) * 100 + Number((m[2] || '').padEnd(2, '0'))
}

function when(iso) {
  if (!iso) return '—'
  const d = new Date(iso)
  if (isNaN(d)) return iso
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}`
}

module.exports = { yuan, fen, when }
