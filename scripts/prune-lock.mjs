// The registry reachable here lacks some platform-specific optional packages (other OSes' binaries).
// `npm install` skips them quietly but `npm ci` then rejects the lockfile as out of sync. This drops
// optional dependencies that have no entry of their own from package-lock.json. Run after `npm install`.
import { readFileSync, writeFileSync } from 'node:fs';

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'));
const present = new Set(Object.keys(lock.packages).map((p) => p.replace(/^.*node_modules\//, '')));
let dropped = 0;
for (const entry of Object.values(lock.packages)) {
  for (const name of Object.keys(entry.optionalDependencies ?? {})) {
    if (!present.has(name)) {
      delete entry.optionalDependencies[name];
      dropped++;
    }
  }
}
writeFileSync('package-lock.json', `${JSON.stringify(lock, null, 2)}\n`);
console.log(`dropped ${dropped} optional dependencies the registry does not serve`);
