// Sign-in: wx.login → POST /auth/wechat. A bound WeChat signs in at once; the
// first time, the holder binds: school (searched by name or pinyin), number
// and login password → POST /auth/bind.
const base = require('../../lib/base.js')
const { api } = require('../../lib/api.js')
const session = require('../../lib/session.js')

function wxLogin() {
  return new Promise((resolve, reject) => wx.login({ success: (r) => resolve(r.code), fail: reject }))
}

Component({
  behaviors: [base],
  data: { busy: false, bindToken: '', q: '', schools: [], school: null, number: '', password: '' },
  methods: {
    onLoad() {
      this.titleKey = 'login'
      this.setTexts()
    },
    async wechat() {
      this.clearError()
      this.setData({ busy: true })
      try {
        const code = await wxLogin()
        const a = await api.post('/auth/wechat', { code })
        if (a.bound) {
          session.signIn(a)
          await this.enter()
        } else {
          this.setData({ bindToken: a.bind_token })
          await this.search()
        }
      } catch (e) {
        this.refuse(e)
      } finally {
        this.setData({ busy: false })
      }
    },
    async search(ev) {
      const q = ev ? ev.detail : this.data.q
      this.setData({ q })
      try {
        const r = await api.get('/schools', { query: { q } })
        this.setData({ schools: r.items, school: r.items.length === 1 ? r.items[0] : this.data.school })
      } catch (e) {
        this.refuse(e)
      }
    },
    pick(ev) {
      this.setData({ school: this.data.schools[ev.currentTarget.dataset.i] })
    },
    input(ev) {
      this.setData({ [ev.currentTarget.dataset.name]: ev.detail })
    },
    async bind() {
      this.clearError()
      this.setData({ busy: true })
      try {
        const a = await api.post('/auth/bind', { bind_token: this.data.bindToken, school: this.data.school ? this.data.school.code : '',
          number: String(this.data.number).trim(), password: this.data.password })
        session.signIn(a)
        await this.enter()
      } catch (e) {
        this.refuse(e)
      } finally {
        this.setData({ busy: false })
      }
    },
    // enter goes home, or to the passwords first while an initial one is in use.
    async enter() {
      const s = session.get()
      if (!s.holder) {
        const me = await api.get('/me')
        s.holder = { school: me.school, number: me.number, name: me.name, must_change_password: me.must_change_password, must_change_pin: me.must_change_pin }
        session.save(s)
      }
      const must = s.holder.must_change_password || s.holder.must_change_pin
      wx.reLaunch({ url: must ? '/pages/password/password' : '/pages/index/index' })
    },
  },
})
