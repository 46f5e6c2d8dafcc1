import { MemoryPatchProgress } from '../../server/patchProgress.ts';
import { patchProgressContract } from './patchProgressContract.ts';

patchProgressContract('MemoryPatchProgress', async () => [new MemoryPatchProgress()]);
