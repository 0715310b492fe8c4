export * from './protocol.js';
export * from './conflict-rules.js';
export * from './replicator-state.js';
