export * from './outcomes.js';
export * from './canonical-json.js';
export * from './revision.js';
export * from './search/dates.js';
export * from './search/normalize.js';
export * from './search/definitions.js';
export * from './search/index-values.js';
export * from './search/search-request.js';
