import { ref, reactive } from 'vue'
import { client } from '../common/api.js'
import { go } from '../common/hashroute.js'
import { messages } from './messages.js'
import { label, channelLabel } from '../common/labels.js'

export const lang = ref(localStorage.getItem('ecard.lang') || 'zh')
export function setLang(l) {
  lang.value = l
  localStorage.setItem('ecard.lang', l)
  document.documentElement.lang = l === 'en' ? 'en' : 'zh-CN'
}
document.documentElement.lang = lang.value === 'en' ? 'en' : 'zh-CN'

// t looks a message up in the current language, filling {name} holes.
export function t(key, vars) {
  const s = (messages[lang.value] && messages[lang.value][key]) || messages.zh[key] || key
  return vars ? s.replace(/\{(\w+)\}/g, (_, k) => vars[k]) : s
}

// named and channelNamed show a server key in the current language, from the
// table the console shares.
export const named = (key) => label(key, lang.value)
export const channelNamed = (channel) => channelLabel(channel, lang.value)

const saved = JSON.parse(localStorage.getItem('ecard.session') || 'null')
export const session = reactive({ access: saved?.access || '', refresh: saved?.refresh || '', holder: saved?.holder || null })

export function signIn(answer) {
  session.access = answer.access_token
  session.refresh = answer.refresh_token
  session.holder = answer.holder
  localStorage.setItem('ecard.session', JSON.stringify({ access: session.access, refresh: session.refresh, holder: session.holder }))
}

// changed records that an initial password or PIN has been replaced.
export function changed(kind) {
  if (!session.holder) return
  session.holder = { ...session.holder, [kind === 'pin' ? 'must_change_pin' : 'must_change_password']: false }
  localStorage.setItem('ecard.session', JSON.stringify({ access: session.access, refresh: session.refresh, holder: session.holder }))
}

export function signOut() {
  session.access = ''
  session.refresh = ''
  session.holder = null
  localStorage.removeItem('ecard.session')
  go('/login')
}

export const api = client({ prefix: '/api/v1', token: () => session.access, lang: () => lang.value })

// call runs an API call; an expired access token is refreshed once, and a
// refused refresh sends the holder back to the login page.
export async function call(fn) {
  try {
    return await fn()
  } catch (e) {
    if (e.status !== 401 || !session.refresh) throw e
    try {
      const pair = await api.post('/auth/refresh', { refresh_token: session.refresh })
      signIn({ ...pair, holder: session.holder })
    } catch {
      signOut()
      throw e
    }
    return fn()
  }
}
