// base is the behavior every page shares: the texts of the current language
// in data.t, the language switch, and showing a refusal.
const i18n = require('./i18n.js')
const { refusal } = require('./refusal.js')

module.exports = Behavior({
  data: { t: i18n.texts(), error: null },
  methods: {
    setTexts() {
      this.setData({ t: i18n.texts() })
      if (this.data.t && wx.setNavigationBarTitle && this.titleKey) {
        wx.setNavigationBarTitle({ title: this.data.t[this.titleKey] })
      }
    },
    toggleLang() {
      i18n.setLang(i18n.lang() === 'zh' ? 'en' : 'zh')
      this.setTexts()
      if (this.reload) this.reload()
    },
    refuse(e) {
      this.setData({ error: refusal(e) })
    },
    clearError() {
      this.setData({ error: null })
    },
    go(ev) {
      wx.navigateTo({ url: ev.currentTarget.dataset.url })
    },
  },
})
