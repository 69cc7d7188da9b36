const { createWx } = require('./wx.js')
const { page } = require('./harness.js')
const pages = require('../app.json').pages.map((p) => p.split('/')[1])
test.each(pages)('page %s renders', (name) => {
  global.wx = createWx()
  const c = page(name)
  expect(c).toBeTruthy()
  expect(c.dom.innerHTML).toMatch(/English/)
})
