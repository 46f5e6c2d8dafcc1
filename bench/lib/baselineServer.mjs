// The baseline: stock @tus/server with the stock @tus/file-store, no auth, no fsync, no checksums.
// Run as a child process: BENCH_TUS_DIR=<dir> node bench/lib/baselineServer.mjs
// BENCH_TUS_FSYNC=1 adds one fdatasync of the file after every PATCH, to price durability alone.
import fs from 'node:fs';
import http from 'node:http';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

class SyncedFileStore extends FileStore {
  async write(readable, id, offset) {
    const end = await super.write(readable, id, offset);
    const handle = await fs.promises.open(this.resolve(id), 'r+');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return end;
  }
}

const directory = process.env.BENCH_TUS_DIR;
if (!directory) throw new Error('BENCH_TUS_DIR is not set');
const Store = process.env.BENCH_TUS_FSYNC === '1' ? SyncedFileStore : FileStore;
const tus = new Server({ path: '/files', datastore: new Store({ directory }) });
const server = http.createServer((req, res) => {
  tus.handle(req, res).catch((error) => {
    console.error(`${req.method} ${req.url}: ${error?.stack ?? error}`);
    res.destroy();
  });
});
// Idle connections are kept as long as Tender keeps them (60 s): with Node's default of 5 s, the
// baseline closed the bench's connection while other variants ran, and a close that arrived while
// the bench was blocked in \`sync\` left it sending its next request into a dead connection.
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
process.once('SIGTERM', () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
});
