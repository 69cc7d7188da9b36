import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { resolve } from 'node:path'

// Vant's icon font names a second source on a CDN, and no request may leave
// the origin. The pages use no Vant icon, so the font goes altogether: that
// also keeps its 45 kB inline woff2 off the first paint.
const noCdnFont = {
  name: 'ecard-no-cdn-font',
  transform(code, id) {
    if (id.includes('vant') && id.endsWith('.css') && code.includes('alicdn')) {
      return code.replace(/@font-face\s*\{[^}]*font-family:\s*vant-icon[^}]*\}/g, '')
    }
  },
}

export default defineConfig({
  base: '/',
  plugins: [vue(), Components({ resolvers: [VantResolver()], dts: false }), noCdnFont],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // The inline icon font is the only asset worth inlining; images stay files.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: {
        holder: resolve(import.meta.dirname, 'index.html'),
        recharge: resolve(import.meta.dirname, 'recharge/index.html'),
        admin: resolve(import.meta.dirname, 'admin/index.html'),
      },
      output: {
        entryFileNames: 'assets/[name]-[hash].js',
        chunkFileNames: 'assets/[name]-[hash].js',
        assetFileNames: 'assets/[name]-[hash][extname]',
        // Vue and Vant in chunks of their own: the console needs no Vant,
        // and a page-only change leaves the library files cached.
        manualChunks(id) {
          if (/node_modules\/(vant|@vant)\//.test(id)) return 'vant'
          if (/node_modules\/(@vue|vue)\//.test(id)) return 'vue'
        },
      },
    },
  },
})
