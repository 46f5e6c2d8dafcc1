import { MemoryDeviceLimits } from '../../server/limits.ts';
import { deviceLimitsContract } from './deviceLimitsContract.ts';

deviceLimitsContract('MemoryDeviceLimits', async (opts) => [new MemoryDeviceLimits(opts)]);
