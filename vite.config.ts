import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

export default defineConfig({
  resolve: {
    // The worker ships tus-js-client's core without the browser build's unused defaults (see the file).
    alias: [
      {
        find: /^tus-js-client$/,
        replacement: fileURLToPath(new URL('./src/sw/tusCore.ts', import.meta.url)),
      },
    ],
  },
  plugins: [
    preact(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src/sw',
      filename: 'sw.ts',
      injectRegister: false,
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        // The relay operator's page (public/relay.*) is no part of the crew app.
        globIgnores: ['relay.*'],
        rollupFormat: 'iife',
      },
      manifest: {
        name: 'Tender',
        short_name: 'Tender',
        description: "Send photos, documents and videos ashore over the ship's satellite link.",
        start_url: '/',
        scope: '/',
        display: 'standalone',
        background_color: '#f4f7f9',
        theme_color: '#0b3954',
        share_target: {
          action: '/share',
          method: 'POST',
          enctype: 'multipart/form-data',
          params: {
            title: 'title',
            text: 'text',
            files: [{ name: 'files', accept: ['image/*', 'video/*', 'application/pdf', '*/*'] }],
          },
        },
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: '/icons/icon-maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
    }),
  ],
  // The manifest (dist/.vite/manifest.json) tells scripts/size.mjs what the page loads first and what later.
  build: { target: 'es2022', sourcemap: true, manifest: true },
  server: { proxy: { '/files': 'http://127.0.0.1:8080', '/api': 'http://127.0.0.1:8080' } },
});
