// refusal is what a page shows when the server says no: API.md's message
// (error.message, in the holder's language) and what to do next.
const { t } = require('./i18n.js')

function refusal(e) {
  const code = (e && e.code) || 'NETWORK'
  const next = t('next_' + code)
  return { code, message: (e && e.message) || code, next: next === 'next_' + code ? '' : next }
}

module.exports = { refusal }
