/**
 * Builds a node's {@link AuthService} over an open store, with the credential key derived
 * from the data directory's key (or a given one, for tests).
 */
import type { Store } from '../store/open-store.js';
import { AuthService } from './auth-service.js';
import type { AuthServiceDeps } from './auth-service.js';
import { credentialCrypto } from './credential-crypto.js';

/** The auth service of `store`; `keyHex` is the 256-bit master key the credential keys derive from. */
export function openAuthService(store: Pick<Store, 'dialect' | 'writes'>, keyHex: string, opts: Omit<AuthServiceDeps, 'dialect' | 'writes' | 'crypto'> = {}): AuthService {
  return new AuthService({ dialect: store.dialect, writes: store.writes, crypto: credentialCrypto(keyHex), ...opts });
}
