import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'
import Components from 'unplugin-vue-components/vite'
import { VantResolver } from '@vant/auto-import-resolver'
import { resolve } from 'node:path'

// Vant's icon font carries a second source on a CDN; the woff2 inlined beside
// it serves every browser we support, and no request may leave the origin.
const noCdnFont = {
  name: 'ecard-no-cdn-font',
  transform(code, id) {
    if (id.includes('vant') && id.endsWith('.css') && code.includes('alicdn')) {
      return code.replace(/,url\(\/\/at\.alicdn\.com[^)]*\) format\("woff"\)/g, '')
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
      },
    },
  },
})
