import v8 from 'node:v8';
import { createTender } from './app.ts';
import { loadConfig } from './config.ts';

// A server that had paused between uploads could settle into a full V8 collection every few
// requests (30 to 50 per 512 MiB upload instead of one or two), doubling the CPU each byte costs: V8 sets
// the heap's next limit close to what was live at the last collection, and a busy server's buffers
// in flight (chunks being written and hashed) swing by tens of MiB. Letting the heap grow to three
// times what was live stopped it in every trial, at no cost to peak memory in the memory bench.
v8.setFlagsFromString('--heap-growing-percent=200');

// Entry point: `node build/server/main.js` after `npx tsc -b server`.
async function main(): Promise<void> {
  const config = loadConfig();
  const tender = await createTender(config);
  console.log(`Tender listening on ${tender.url}`);
  const { admin } = tender;
  if (admin.source === 'env') console.log('Admin token: from TENDER_ADMIN_TOKEN');
  else console.log(`Admin token: ${admin.token}  (${admin.created ? 'new, ' : ''}stored in ${admin.file})`);
  if (!config.publicUrl && !['127.0.0.1', 'localhost', '::1'].includes(config.host)) {
    console.log(
      'Set TENDER_PUBLIC_URL to the address devices use, or enrolment links will point at localhost.',
    );
  }
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    // once: a second Ctrl-C falls through to Node's default handler and exits at once.
    process.once(signal, () => {
      tender.close().then(
        () => process.exit(0),
        (error: unknown) => {
          console.error(error);
          process.exit(1);
        },
      );
    });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
