const UNITS = ['B', 'KB', 'MB', 'GB', 'TB'];

/** Bytes as crew read them: 1 decimal above 1 kB, powers of 1000 like the phone's own file views. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}
