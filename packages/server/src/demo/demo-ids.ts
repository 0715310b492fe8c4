/**
 * Deterministic resource ids for the demo: a name-based UUID (RFC 4122 version 5 layout,
 * SHA-1) of the seed and a key such as `Patient/17`, so the same seed gives the same ids.
 */
import { createHash } from 'node:crypto';

/** Makes ids for one seed. */
export function demoIds(seed: string): (key: string) => string {
  return (key) => {
    const h = createHash('sha1').update(seed).update('|').update(key).digest('hex');
    const variant = ((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
  };
}
