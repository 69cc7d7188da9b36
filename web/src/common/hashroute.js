import { ref } from 'vue'

// A hash router: the server serves one file per front-end and needs no
// fallback routes, and a page is a hash like #/history?kind=payment.
function parse() {
  const [path, qs] = (location.hash.slice(1) || '/').split('?')
  return { path: path || '/', query: Object.fromEntries(new URLSearchParams(qs || '')) }
}

export const route = ref(parse())
window.addEventListener('hashchange', () => {
  route.value = parse()
})

export function go(path) {
  location.hash = path
}
