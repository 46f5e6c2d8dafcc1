import { MemoryLocker } from '@tus/server';
import { lockerContract } from './lockerContract.ts';

lockerContract('MemoryLocker', async ({ acquireTimeoutMs }) => [
  new MemoryLocker({ acquireLockTimeout: acquireTimeoutMs }),
]);
