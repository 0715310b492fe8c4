// A validation thread of the validation pool (see validation-pool.ts). Worker threads do not
// inherit a loader registered with tsx's API, so this plain-JavaScript entry registers it
// before loading the TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./validation-worker-main.ts');
