import { loadConfig } from './config.ts';
import { precompressDir } from './precompress.ts';

// Build step after `vite build`: `node build/server/precompressMain.js` writes .br and .gz files
// next to the app's text files in TENDER_STATIC_DIR (default dist/).
const { staticDir } = loadConfig();
const report = await precompressDir(staticDir);
const kB = (n: number) => `${(n / 1000).toFixed(1)} kB`;
console.log(
  `precompressed ${report.files} files: ${kB(report.bytes)} → ${kB(report.br)} brotli, ${kB(report.gzip)} gzip`,
);
