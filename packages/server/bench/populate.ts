/**
 * Where the benchmark's practice comes from. Switch to the demo generator by changing the
 * one line below to `export { loadDemo as populate } from '../src/demo/load-demo.js';`.
 */
export { loadFixturePractice as populate } from './fixture-practice.js';
