/**
 * Downtime-kit settings for the web app's admin screen (admin only; audited by the
 * authorisation hook like every app route):
 * - `GET /api/downtime-kit/settings` → `{ everyMinutes, folders, allPatients, passphraseSet, lastWritten }`
 *   (the passphrase is never returned);
 * - `PUT /api/downtime-kit/settings` with any of `{ everyMinutes, folders, allPatients, passphrase }`:
 *   validated all or nothing (400 OperationOutcome naming each bad field), saved in config.json,
 *   picked up by the running schedule;
 * - `POST /api/downtime-kit/run` writes a kit now and answers its manifest.
 */
import type { FastifyInstance } from 'fastify';
import type { DowntimeKitService } from '../downtime/kit-settings.js';
import { routeAccess } from './authorize.js';

const ADMIN = routeAccess({ action: 'admin', resourceType: 'Setting' });

/** Registers the downtime-kit routes. */
export function registerDowntimeRoutes(app: FastifyInstance, deps: { downtimeKit: DowntimeKitService }): void {
  const kit = deps.downtimeKit;
  app.get('/api/downtime-kit/settings', ADMIN, async (_req, reply) => reply.header('cache-control', 'no-store').send(kit.settings()));
  app.put('/api/downtime-kit/settings', ADMIN, async (req, reply) => reply.header('cache-control', 'no-store').send(kit.update(req.body)));
  app.post('/api/downtime-kit/run', ADMIN, async (_req, reply) => reply.header('cache-control', 'no-store').send(await kit.run()));
}
