/**
 * Thin HTTP routes of documents and correspondence (logic in clinical/documents, letters,
 * messages). Uploads are the raw bytes of the file (`Content-Type: application/pdf`,
 * `image/png`, `image/jpeg`, `image/tiff` or `application/octet-stream`) with the title,
 * category and date in the query string; the node's upload limit applies while the body
 * streams in, so an oversize upload is refused (413) before it is held in memory.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { badRequest } from '@chartroom/core';
import { authorizeResource, requestPrincipal, routeAccess } from './authorize.js';
import { DocumentService, documentView, tooLargeError } from '../clinical/documents/document-service.js';
import { ALLOWED_DOCUMENT_TYPES } from '../clinical/documents/content-type-sniff.js';
import { LetterService } from '../clinical/letters/letter-service.js';
import { MessageService } from '../clinical/messages/message-service.js';
import type { MessageActor } from '../clinical/messages/message-service.js';
import type { FhirRepository } from '../store/fhir-repository.js';
import type { Clock } from '../store/clock.js';

export interface DocumentRouteDeps {
  repo: FhirRepository;
  clock?: Clock;
  /** Largest upload in bytes (default 25 MiB). */
  maxUploadBytes?: number;
  practiceName?: string;
}

type Query = Record<string, unknown>;

function text(q: Query, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badRequest(`${name} must be given once`, name);
  return v;
}

/** The principal's Practitioner id, if the caller is a clinician. */
export function practitionerOf(req: FastifyRequest): string | undefined {
  return requestPrincipal(req)?.practitionerId;
}

/** Registers the document routes; returns the service (letters file their PDFs through it). */
export function registerDocumentRoutes(app: FastifyInstance, deps: DocumentRouteDeps): DocumentService {
  const documents = new DocumentService(deps.repo, { ...(deps.clock ? { clock: deps.clock } : {}), ...(deps.maxUploadBytes ? { maxUploadBytes: deps.maxUploadBytes } : {}) });
  const limit = documents.maxUploadBytes;

  app.register(async (scope) => {
    // Raw bytes, counted as they arrive: over the limit, reading stops and the request gets 413.
    scope.addContentTypeParser([...ALLOWED_DOCUMENT_TYPES, 'application/octet-stream'], (req, payload, done) => {
      const declared = Number(req.headers['content-length'] ?? NaN);
      if (declared > limit) {
        payload.resume();
        done(tooLargeError(limit, declared), undefined);
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let finished = false;
      const finish = (err: Error | null, body?: Buffer): void => {
        if (finished) return;
        finished = true;
        payload.removeListener('data', onData);
        payload.removeListener('end', onEnd);
        if (err) payload.resume();
        done(err, body);
      };
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size > limit) {
          chunks.length = 0;
          finish(tooLargeError(limit));
        } else chunks.push(chunk);
      };
      const onEnd = (): void => finish(null, Buffer.concat(chunks));
      payload.on('data', onData);
      payload.on('end', onEnd);
      payload.on('error', (err: Error) => finish(err));
    });

    scope.post<{ Params: { id: string }; Querystring: Query }>(
      '/api/patients/:id/documents',
      { ...routeAccess({ action: 'create', resourceType: 'DocumentReference', patientParam: 'id' }), bodyLimit: limit },
      async (req, reply) => {
        if (!Buffer.isBuffer(req.body)) {
          throw badRequest(`Send the file itself as the body, with Content-Type ${ALLOWED_DOCUMENT_TYPES.join(', ')} (title, category and date in the query string)`);
        }
        const q = req.query;
        const practitionerId = practitionerOf(req);
        const title = text(q, 'title');
        const category = text(q, 'category');
        const date = text(q, 'date');
        const description = text(q, 'description');
        const r = await documents.upload(req.params.id, {
          bytes: req.body,
          contentType: req.headers['content-type'] ?? '',
          ...(title !== undefined ? { title } : {}),
          ...(category !== undefined ? { category } : {}),
          ...(date !== undefined ? { date } : {}),
          ...(description !== undefined ? { description } : {}),
          ...(practitionerId ? { authorPractitionerId: practitionerId } : {}),
        });
        return reply.code(201).send({ ...r.document, deduplicated: r.deduplicated });
      },
    );
  });

  app.get<{ Params: { id: string }; Querystring: Query }>(
    '/api/patients/:id/documents',
    routeAccess({ action: 'search', resourceType: 'DocumentReference', patientParam: 'id' }),
    async (req) => ({ documents: await documents.list(req.params.id, text(req.query, 'category')) }),
  );

  app.get<{ Params: { id: string } }>('/api/documents/:id', routeAccess({ action: 'read', resourceType: 'DocumentReference' }), async (req) => {
    const doc = await documents.get(req.params.id);
    authorizeResource(req, 'read', doc);
    return documentView(doc);
  });

  app.get<{ Params: { id: string }; Querystring: Query }>('/api/documents/:id/content', routeAccess({ action: 'read', resourceType: 'DocumentReference' }), async (req, reply) => {
    const doc = await documents.get(req.params.id);
    authorizeResource(req, 'read', doc);
    const c = await documents.content(doc);
    const disposition = text(req.query, 'download') !== undefined ? 'attachment' : 'inline';
    return reply
      .header('content-type', c.contentType)
      .header('content-disposition', `${disposition}; filename="${c.filename}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .header('etag', `"${c.sha256}"`)
      .send(c.bytes);
  });

  registerLetterRoutes(app, new LetterService(deps.repo, deps.practiceName ?? 'Chartroom', deps.clock ? { clock: deps.clock } : {}));
  registerMessageRoutes(app, new MessageService(deps.repo, deps.clock ? { clock: deps.clock } : {}));
  return documents;
}

function messageActor(req: FastifyRequest): MessageActor {
  const principal = requestPrincipal(req);
  if (!principal) return letterActor(req);
  return { ...(principal.practitionerId ? { practitionerId: principal.practitionerId } : {}), ...(principal.username ? { display: principal.username } : {}) };
}

function registerMessageRoutes(app: FastifyInstance, messages: MessageService): void {
  type P = { Params: { id: string; messageId: string }; Querystring: Query };
  app.get<P>('/api/patients/:id/messages', routeAccess({ action: 'search', resourceType: 'Communication', patientParam: 'id' }), async (req) => ({
    threads: await messages.list(req.params.id, text(req.query, 'status')),
  }));
  app.post<P>('/api/patients/:id/messages', routeAccess({ action: 'create', resourceType: 'Communication', patientParam: 'id' }), async (req, reply) =>
    reply.code(201).send(await messages.write(req.params.id, req.body, messageActor(req))),
  );
  app.get<P>('/api/patients/:id/messages/:messageId', routeAccess({ action: 'read', resourceType: 'Communication', patientParam: 'id' }), async (req) =>
    messages.thread(req.params.id, req.params.messageId),
  );
  app.post<P>('/api/patients/:id/messages/:messageId/reply', routeAccess({ action: 'create', resourceType: 'Communication', patientParam: 'id' }), async (req, reply) =>
    reply.code(201).send(await messages.reply(req.params.id, req.params.messageId, req.body, messageActor(req))),
  );
  app.post<P>('/api/patients/:id/messages/:messageId/handled', routeAccess({ action: 'update', resourceType: 'Communication', patientParam: 'id' }), async (req) =>
    messages.markHandled(req.params.id, req.params.messageId, messageActor(req)),
  );
}

/** The writing clinician: the signed-in user's Practitioner, else (no principal: the node itself) `author` in the body. */
function letterActor(req: FastifyRequest): { practitionerId?: string } {
  const principal = requestPrincipal(req);
  if (principal) return principal.practitionerId ? { practitionerId: principal.practitionerId } : {};
  const author = (req.body as Record<string, unknown> | undefined)?.author;
  return typeof author === 'string' ? { practitionerId: author.replace(/^Practitioner\//, '') } : {};
}

function registerLetterRoutes(app: FastifyInstance, letters: LetterService): void {
  app.get('/api/letter-templates', routeAccess({ action: 'search', resourceType: 'DocumentReference' }), async () => ({ templates: letters.templates() }));
  app.get<{ Params: { id: string } }>('/api/patients/:id/letters', routeAccess({ action: 'search', resourceType: 'DocumentReference', patientParam: 'id' }), async (req) => ({
    letters: await letters.list(req.params.id),
  }));
  app.post<{ Params: { id: string } }>('/api/patients/:id/letters', routeAccess({ action: 'create', resourceType: 'DocumentReference', patientParam: 'id' }), async (req, reply) =>
    reply.code(201).send(await letters.create(req.params.id, req.body ?? {}, letterActor(req))),
  );
  app.get<{ Params: { id: string } }>('/api/letters/:id', routeAccess({ action: 'read', resourceType: 'DocumentReference' }), async (req) => {
    authorizeResource(req, 'read', await letters.document(req.params.id));
    return letters.get(req.params.id);
  });
  app.put<{ Params: { id: string } }>('/api/letters/:id', routeAccess({ action: 'update', resourceType: 'DocumentReference' }), async (req) => {
    authorizeResource(req, 'update', await letters.document(req.params.id));
    const ifMatch = req.headers['if-match'];
    return letters.update(req.params.id, req.body ?? {}, typeof ifMatch === 'string' ? { ifMatch } : {});
  });
  app.post<{ Params: { id: string } }>('/api/letters/:id/sign', routeAccess({ action: 'sign', resourceType: 'DocumentReference' }), async (req) => {
    authorizeResource(req, 'sign', await letters.document(req.params.id));
    return letters.sign(req.params.id, letterActor(req));
  });
  app.get<{ Params: { id: string } }>('/api/letters/:id/pdf', routeAccess({ action: 'export', resourceType: 'DocumentReference' }), async (req, reply) => {
    authorizeResource(req, 'export', await letters.document(req.params.id));
    const pdf = await letters.pdf(req.params.id);
    return reply
      .header('content-type', 'application/pdf')
      .header('content-disposition', `inline; filename="${pdf.filename}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(pdf.bytes);
  });
}
