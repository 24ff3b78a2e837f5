// The web face: three pages built into web/dist, which the gateway serves (gateway/web-pages.ts).
// Every asset is bundled from npm and served from this origin: no CDN, no remote fonts.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/',
  plugins: [react()],
  build: {
    outDir: here('dist'),
    emptyOutDir: true,
    assetsDir: 'assets',
    chunkSizeWarningLimit: 2048,
    rollupOptions: {
      // react-compiler-runtime's "use no memo" directive is meaningless in a bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
      input: {
        overview: here('index.html'),
        console: here('dashboard/index.html'),
        graphiql: here('graphiql/index.html'),
      },
    },
  },
  server: {
    // `npm run dev:web`: the pages with hot reload, the API from a running `npm start`.
    proxy: {
      '/graphql': { target: 'http://127.0.0.1:4000', ws: true },
      '/api': 'http://127.0.0.1:4000',
      '/v1': 'http://127.0.0.1:4000',
    },
  },
});
