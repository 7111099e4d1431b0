import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Built to web/dist and served by the API at `/`; no asset comes from the internet.
export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: false },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
