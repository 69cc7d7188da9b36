import { reactive, ref } from 'vue'
import { client, yuan, when } from '../common/api.js'

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

// Column formats shared by every table.
const labels = {
  active: '正常', lost: '挂失', frozen: '冻结', expired: '过期', closed: '已销户', replaced: '已换卡', disabled: '停用',
  created: '待支付', paid: '已支付', refunded: '已退款', student: '学生', staff: '教职工', visitor: '访客',
  pos: '收银机', gate: '门禁', kiosk: '自助机', superadmin: '超级管理员', operator: '操作员', auditor: '审计员',
  wechatpay: '微信支付', alipay: '支付宝', sandbox: '演示支付', issued: '已发放', gap: '断号', repeat: '重复', parent: '家长', holder: '本人',
}
export function show(value, fmt) {
  if (value === undefined || value === null || value === '') return '—'
  switch (fmt) {
    case 'money': return yuan(value)
    case 'time': return when(value)
    case 'label': return labels[value] || value
    case 'bool': return value ? '是' : '否'
    default: return typeof value === 'object' ? JSON.stringify(value) : String(value)
  }
}
