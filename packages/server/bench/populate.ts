/**
 * Where the benchmark's practice comes from: the demo generator. To use the bench's own
 * fixture instead, change the line below to
 * `export { loadFixturePractice as populate } from './fixture-practice.js';`.
 */
export { loadDemo as populate } from '../src/demo/load-demo.js';
