import fs from 'node:fs';
import { openDatabase } from '../../server/db.ts';
import { SqliteDevices } from '../../server/devices.ts';
import { SqliteEnrolmentCodes } from '../../server/enrolmentCodes.ts';
import { SqlitePartials } from '../../server/partials.ts';
import { SqliteUploadRecords } from '../../server/records.ts';
import { tempDir } from './helpers.ts';
import { repositoryContract } from './repositoryContract.ts';

repositoryContract('SQLite', async () => {
  const dir = tempDir();
  const db = openDatabase(dir);
  return {
    devices: new SqliteDevices(db),
    codes: new SqliteEnrolmentCodes(db),
    records: new SqliteUploadRecords(db),
    partials: new SqlitePartials(db),
    async close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
