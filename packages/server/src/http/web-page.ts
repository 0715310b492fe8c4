/**
 * The web app a node serves at `/`: the Vite build in `packages/web/dist` (hashed assets cached
 * for good, `index.html` never cached) with a fallback to `index.html` for the app's own paths
 * (`/today`, `/patients/…`), so deep links and reloads work. API paths never fall back.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { outcomeError } from '@chartroom/core';

const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

/** The policy the app runs under (no inline scripts, nothing from other origins). */
export const WEB_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.json': 'application/json',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};

/** Paths that belong to the server, never to the web app's fallback. */
const SERVER_PATHS = /^\/(api|fhir|cds-services|sync|oauth|healthz|\.well-known)(\/|$)/;

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function notBuiltPage(practice: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Chartroom — ${practice}</title></head><body><main><h1>Chartroom</h1><p>This node for <strong>${practice}</strong> is running, but the web app has not been built. Run <code>npm run build -w @chartroom/web</code> (or <code>npm start</code>, which builds it) and reload. The FHIR API is at <a href="/fhir/R4/metadata">/fhir/R4/metadata</a>.</p></main></body></html>`;
}

/** The HTML of the app's page for a practice (the built `index.html`, or a page saying it is not built). */
export async function webIndexHtml(practiceName: string, dist = WEB_DIST): Promise<string> {
  const practice = escapeHtml(practiceName);
  const file = join(dist, 'index.html');
  if (!existsSync(file)) return notBuiltPage(practice);
  return (await readFile(file, 'utf8')).replaceAll('{{practice}}', practice);
}

async function sendIndex(reply: FastifyReply, practiceName: string, dist: string): Promise<FastifyReply> {
  return reply
    .header('content-type', 'text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', WEB_CSP)
    .header('x-content-type-options', 'nosniff')
    .send(await webIndexHtml(practiceName, dist));
}

/** Registers `GET /` and the static files / SPA fallback of the web app. */
export function registerWebApp(app: FastifyInstance, practiceName: string, dist = WEB_DIST): void {
  const config = { access: { action: 'read', resourceType: 'WebApp', audience: 'public' } };
  app.get('/', { config }, async (_req, reply) => sendIndex(reply, practiceName, dist));
  app.get('/*', { config }, async (req: FastifyRequest, reply) => {
    const path = req.url.split('?')[0] ?? '/';
    if (SERVER_PATHS.test(path)) throw outcomeError('notFound', `No route for ${req.method} ${req.url}`);
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(path)).replace(/^[/\\]+/, '');
    } catch {
      throw outcomeError('badRequest', `The URL path "${path}" has an invalid %-escape`);
    }
    const file = join(dist, rel);
    if (rel && !rel.split(sep).includes('..') && file.startsWith(dist)) {
      const st = await stat(file).catch(() => undefined);
      if (st?.isFile()) {
        const type = TYPES[extname(file)] ?? 'application/octet-stream';
        const immutable = rel.startsWith(`assets${sep}`);
        return reply
          .header('content-type', type)
          .header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
          .header('x-content-type-options', 'nosniff')
          .send(await readFile(file));
      }
    }
    // A file-like path that is not there is a 404; a browser navigating anywhere else gets a
    // screen of the app; any other client (a script, a FHIR client) gets a plain 404.
    if (extname(path)) throw outcomeError('notFound', `No file ${path}`);
    if (!/text\/html/i.test(String(req.headers.accept ?? ''))) throw outcomeError('notFound', `No route for ${req.method} ${req.url}`);
    return sendIndex(reply, practiceName, dist);
  });
}
