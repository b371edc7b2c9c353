// Vite builds one HTML page per portal page (PRODUCT.md §6) into dist/. The local
// runner and CloudFront map /{space}/{page} onto these files, so asset URLs
// are absolute (base "/").
import { resolve } from 'node:path';
import { defineConfig } from 'vite';

const pages = ['index', 'forgot', 'password', 'documents', 'profile', 'admin', 'help', 'link', 'staff'];

export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // Every supported browser has module preload; the polyfill would be dead code.
    modulePreload: { polyfill: false },
    // Inlined assets would become data: URLs in CSS or scripts; keep them files.
    assetsInlineLimit: 0,
    rollupOptions: {
      input: Object.fromEntries(pages.map((p) => [p, resolve(import.meta.dirname, `${p}.html`)])),
    },
  },
});
