/**
 * What every part of the demo generator shares: the seed, the id maker, the moment the
 * demo is loaded, and the practice.
 */
import type { Practice } from './practice.js';

/** What a patient's chart is generated from. */
export interface DemoContext {
  seed: string;
  /** Deterministic id for a key. */
  id: (key: string) => string;
  /** The moment the demo is loaded: visits lie before it, appointments around it. */
  now: Date;
  practice: Practice;
}
