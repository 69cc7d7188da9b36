// The console's pages as data: what to list, with which filters and columns,
// which forms create things and which buttons act on a row. Page.vue renders
// them all, so a page is a few lines and every page behaves the same.
const schoolF = { key: 'school', label: '学校', type: 'school' }
const kindOptions = [['', '全部'], ['student', '学生'], ['staff', '教职工'], ['visitor', '访客']]
const stateOptions = [['', '全部'], ['active', '正常'], ['lost', '挂失'], ['frozen', '冻结'], ['expired', '过期'], ['closed', '已销户']]
const holderColumns = [
  { key: 'number', label: '学号/工号', link: (r) => '#/holders/' + r.id }, { key: 'name', label: '姓名' },
  { key: 'kind', label: '类型', fmt: 'label' }, { key: 'state', label: '状态', fmt: 'label' },
  { key: 'wallet', label: '余额(元)', fmt: 'money' }, { key: 'subsidy', label: '补贴(元)', fmt: 'money' },
  { key: 'card_uid', label: '卡号' }, { key: 'expires_at', label: '有效期', fmt: 'time' }, { key: 'created_at', label: '建档', fmt: 'time' },
]

export const pages = {
  holders: {
    title: '持卡人',
    export: 'holders',
    list: {
      url: '/holders',
      filters: [schoolF, { key: 'q', label: '学号或姓名' }, { key: 'kind', label: '类型', type: 'select', options: kindOptions },
        { key: 'status', label: '状态', type: 'select', options: stateOptions }],
      columns: holderColumns,
    },
    forms: [
      { id: 'holder-new', title: '新建持卡人', url: '/holders', fields: [schoolF, { key: 'number', label: '学号/工号', required: true },
        { key: 'name', label: '姓名', required: true }, { key: 'kind', label: '类型', type: 'select', options: kindOptions.slice(1, 3) },
        { key: 'id_last6', label: '身份证后 6 位', required: true }, { key: 'dorm_building', label: '宿舍楼（选填）' }] },
      { id: 'holder-import', title: 'CSV 批量导入', csv: true, url: (v) => '/holders/import?school=' + encodeURIComponent(v.school),
        fields: [schoolF, { key: 'csv', label: 'CSV（表头 number,name,kind,id_last6[,dorm_building]）', type: 'textarea', required: true }] },
    ],
  },
  visitors: {
    title: '访客',
    list: { url: '/visitors', filters: [schoolF, { key: 'active', label: '仅有效', type: 'select', options: [['true', '是'], ['', '全部']] }], columns: holderColumns },
    forms: [{ id: 'visitor-new', title: '登记访客', url: '/visitors', once: 'password', onceLabel: '访客初始密码（仅显示一次）',
      fields: [schoolF, { key: 'name', label: '姓名', required: true }, { key: 'expires_at', label: '有效期至', type: 'datetime', required: true },
        { key: 'number', label: '编号（选填，默认自动生成）' }, { key: 'id_last6', label: '身份证后 6 位（选填）' }] }],
  },
  cards: {
    title: '卡片',
    list: { url: '/cards', filters: [schoolF, { key: 'q', label: '卡号/学号/姓名' },
      { key: 'status', label: '状态', type: 'select', options: [['', '全部'], ['active', '正常'], ['lost', '挂失'], ['replaced', '已换卡'], ['closed', '已销户']] }],
      columns: [{ key: 'uid', label: '卡 UID' }, { key: 'number', label: '学号/工号', link: (r) => '#/holders/' + r.holder_id }, { key: 'name', label: '姓名' },
        { key: 'status', label: '状态', fmt: 'label' }, { key: 'issued_at', label: '发卡时间', fmt: 'time' }, { key: 'replaced_at', label: '换卡时间', fmt: 'time' }] },
  },
  merchants: {
    title: '商户',
    list: { url: '/merchants', filters: [schoolF], columns: [{ key: 'code', label: '编码' }, { key: 'name', label: '名称' }, { key: 'status', label: '状态', fmt: 'label' }] },
    forms: [{ id: 'merchant-new', title: '新建商户', url: '/merchants', fields: [schoolF, { key: 'code', label: '编码', required: true }, { key: 'name', label: '名称', required: true }] }],
  },
  terminals: {
    title: '终端',
    list: { url: '/terminals', filters: [schoolF], columns: [{ key: 'id', label: '终端号' }, { key: 'kind', label: '类型', fmt: 'label' },
      { key: 'merchant', label: '商户' }, { key: 'place', label: '位置' }, { key: 'status', label: '状态', fmt: 'label' }, { key: 'last_seen_at', label: '最近在线', fmt: 'time' }] },
    actions: [
      { label: '停用', danger: true, when: (r) => r.status !== 'disabled', path: (r) => '/terminals/' + encodeURIComponent(r.id) + '/disable', confirm: '停用后该终端的请求将被拒绝，确定？' },
      { label: '启用', when: (r) => r.status === 'disabled', path: (r) => '/terminals/' + encodeURIComponent(r.id) + '/enable' },
    ],
    forms: [{ id: 'terminal-new', title: '新增终端', url: '/terminals', once: 'secret', onceLabel: '终端密钥（仅显示这一次，请立即写入终端）',
      fields: [schoolF, { key: 'id', label: '终端号', required: true }, { key: 'kind', label: '类型', type: 'select', options: [['pos', '收银机'], ['gate', '门禁'], ['kiosk', '自助机']] },
        { key: 'merchant', label: '商户编码（收银机）' }, { key: 'place', label: '位置' }] }],
  },
  subsidies: {
    title: '补贴',
    list: { url: '/subsidies', filters: [schoolF], columns: [{ key: 'id', label: '批次', link: (r) => '#/subsidies/' + r.id }, { key: 'name', label: '名称' },
      { key: 'status', label: '状态', fmt: 'label' }, { key: 'lines', label: '人数' }, { key: 'issued_fen', label: '发放(元)', fmt: 'money' },
      { key: 'spent_fen', label: '已用(元)', fmt: 'money' }, { key: 'expired_fen', label: '过期(元)', fmt: 'money' }, { key: 'created_at', label: '时间', fmt: 'time' }] },
    forms: [{ id: 'subsidy-new', title: '发放补贴（CSV）', csv: true, idempotent: true,
      url: (v) => '/subsidies?school=' + encodeURIComponent(v.school) + '&name=' + encodeURIComponent(v.name),
      fields: [schoolF, { key: 'name', label: '批次名称', required: true }, { key: 'csv', label: 'CSV（表头 number,amount,expires_at；amount 单位为分）', type: 'textarea', required: true }] }],
  },
  topups: {
    title: '充值订单',
    export: 'topups',
    list: { url: '/topups', filters: [schoolF, { key: 'status', label: '状态', type: 'select', options: [['', '全部'], ['created', '待支付'], ['paid', '已支付'], ['closed', '已关闭'], ['refunded', '已退款']] },
      { key: 'channel', label: '渠道', type: 'select', options: [['', '全部'], ['wechatpay', '微信支付'], ['alipay', '支付宝'], ['sandbox', '模拟支付']] }],
      columns: [{ key: 'order_no', label: '订单号' }, { key: 'channel', label: '渠道', fmt: 'label' }, { key: 'payer', label: '付款方', fmt: 'label' }, { key: 'amount', label: '金额(元)', fmt: 'money' },
        { key: 'status', label: '状态', fmt: 'label' }, { key: 'created_at', label: '下单', fmt: 'time' }, { key: 'paid_at', label: '支付', fmt: 'time' }] },
    actions: [{ label: '退款', danger: true, when: (r) => r.status === 'paid', path: (r) => '/topups/' + encodeURIComponent(r.order_no) + '/refund', confirm: '将原路退回这笔充值，确定？' }],
  },
  settlement: {
    title: '商户日结',
    export: 'settlement',
    report: { url: '/reports/settlement', filters: [schoolF, { key: 'date', label: '日期', type: 'date', required: true }],
      columns: [{ key: 'merchant', label: '商户' }, { key: 'name', label: '名称' }, { key: 'payments', label: '笔数' }, { key: 'payment_fen', label: '消费(元)', fmt: 'money' },
        { key: 'refunds', label: '退款笔数' }, { key: 'refund_fen', label: '退款(元)', fmt: 'money' }, { key: 'net_fen', label: '净额(元)', fmt: 'money' }] },
  },
  'topup-report': {
    title: '充值汇总',
    report: { url: '/reports/topups', filters: [schoolF, { key: 'from', label: '开始日期', type: 'date', required: true }, { key: 'to', label: '结束日期', type: 'date', required: true }],
      columns: [{ key: 'channel', label: '渠道', fmt: 'label' }, { key: 'orders', label: '笔数' }, { key: 'amount', label: '金额(元)', fmt: 'money' },
        { key: 'refunds', label: '退款笔数' }, { key: 'refunded', label: '退款(元)', fmt: 'money' }] },
  },
  reconciliations: {
    title: '对账',
    list: { url: '/reconciliations', columns: [{ key: 'id', label: '编号', link: (r) => '#/reconciliations/' + r.id }, { key: 'provider', label: '渠道', fmt: 'label' },
      { key: 'date', label: '账单日' }, { key: 'ok', label: '一致', fmt: 'bool' }, { key: 'bill_lines', label: '账单行' }, { key: 'ledger_records', label: '本方记录' },
      { key: 'matched', label: '匹配' }, { key: 'problems', label: '差异' }, { key: 'run_by', label: '操作人' }, { key: 'created_at', label: '时间', fmt: 'time' }] },
    forms: [{ id: 'reconcile-run', title: '上传渠道账单对账', csv: true,
      url: (v) => '/reconciliations?provider=' + encodeURIComponent(v.provider) + '&date=' + encodeURIComponent(v.date),
      fields: [{ key: 'provider', label: '渠道', type: 'select', options: [['wechatpay', '微信支付'], ['alipay', '支付宝'], ['sandbox', '模拟支付']] },
        { key: 'date', label: '账单日', type: 'date', required: true }, { key: 'csv', label: '账单文件内容', type: 'textarea', required: true }] }],
  },
  anomalies: {
    title: '脱机异常',
    list: { url: '/offline/anomalies', filters: [schoolF], columns: [{ key: 'terminal', label: '终端' }, { key: 'card_uid', label: '卡 UID' },
      { key: 'counter', label: '计数器' }, { key: 'kind', label: '类型', fmt: 'label' }, { key: 'detail', label: '详情' }, { key: 'created_at', label: '时间', fmt: 'time' }] },
  },
  audit: {
    title: '审计日志',
    export: 'audit',
    list: { url: '/audit', columns: [{ key: 'created_at', label: '时间', fmt: 'time' }, { key: 'username', label: '管理员' }, { key: 'role', label: '角色', fmt: 'label' },
      { key: 'action', label: '操作' }, { key: 'target', label: '对象' }, { key: 'detail', label: '说明' }, { key: 'outcome', label: '结果' }, { key: 'ip', label: 'IP' }] },
  },
  policies: { title: '学校规则' },
  admins: {
    title: '管理员',
    list: { url: '/admins', columns: [{ key: 'username', label: '用户名' }, { key: 'role', label: '角色', fmt: 'label' }, { key: 'created_at', label: '创建', fmt: 'time' }] },
    forms: [{ id: 'admin-new', title: '新增管理员', url: '/admins', fields: [{ key: 'username', label: '用户名', required: true },
      { key: 'password', label: '初始密码', type: 'password', required: true },
      { key: 'role', label: '角色', type: 'select', options: [['operator', '操作员'], ['auditor', '审计员'], ['superadmin', '超级管理员']] }] }],
  },
}

export const menu = ['holders', 'visitors', 'cards', 'merchants', 'terminals', 'subsidies', 'topups', 'settlement', 'topup-report', 'reconciliations', 'anomalies', 'audit', 'policies', 'admins']
