// The signed-in holder's tokens, kept in the mini-program's storage.
const KEY = 'ecard.session'

function get() {
  return wx.getStorageSync(KEY) || { access: '', refresh: '', holder: null }
}

function save(s) {
  wx.setStorageSync(KEY, s)
}

function signIn(answer) {
  save({ access: answer.access_token, refresh: answer.refresh_token, holder: answer.holder || null })
}

function clear() {
  wx.removeStorageSync(KEY)
}

// changed records that an initial password or PIN has been replaced.
function changed(kind) {
  const s = get()
  if (!s.holder) return
  s.holder = Object.assign({}, s.holder, { [kind === 'pin' ? 'must_change_pin' : 'must_change_password']: false })
  save(s)
}

module.exports = { get, save, signIn, clear, changed }
