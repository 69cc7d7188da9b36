import { reactive, ref } from 'vue'
import { client, yuan, when } from '../common/api.js'
import { label, channelLabel } from '../common/labels.js'

// The console keeps its token for the tab only: closing it signs out.
const saved = JSON.parse(sessionStorage.getItem('ecard.admin') || 'null')
export const auth = reactive({ token: saved?.token || '', admin: saved?.admin || null })
export const school = ref(sessionStorage.getItem('ecard.admin.school') || '')

export function signIn(answer) {
  auth.token = answer.access_token
  auth.admin = answer.admin
  sessionStorage.setItem('ecard.admin', JSON.stringify({ token: auth.token, admin: auth.admin }))
}
export function signOut() {
  auth.token = ''
  auth.admin = null
  sessionStorage.removeItem('ecard.admin')
}
export function setSchool(code) {
  school.value = code
  sessionStorage.setItem('ecard.admin.school', code)
}

export const api = client({ prefix: '/admin/api/v1', token: () => auth.token, lang: () => 'zh', onUnauthenticated: signOut })
export const publicApi = client({ prefix: '/api/v1', lang: () => 'zh' })

// Column formats shared by every table; labels come from the table the
// holder app shares.
export function show(value, fmt) {
  if (value === undefined || value === null || value === '') return '—'
  switch (fmt) {
    case 'money': return yuan(value)
    case 'time': return when(value)
    case 'label': return label(value)
    case 'channel': return channelLabel(value)
    case 'bool': return value ? '是' : '否'
    default: return typeof value === 'object' ? JSON.stringify(value) : String(value)
  }
}
