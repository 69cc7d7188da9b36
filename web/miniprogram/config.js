// Where the mini-program finds the ecard server, and the subscribe-message
// templates it asks the holder to accept. The school's IT team sets these
// before uploading (README: "The WeChat mini-program"); baseURL must be a
// request domain registered in the mini-program's admin console.
module.exports = {
  baseURL: 'https://card.example.edu',
  // The same ids as ECARD_WECHAT_TEMPLATE_PAYMENT / _TOPUP on the server.
  templates: { payment: '', topup: '' },
}
