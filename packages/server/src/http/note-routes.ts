/**
 * Thin HTTP routes of clinical notes: templates, drafts, signing, addenda and amendments
 * (logic in clinical/notes). The author is the signed-in clinician (`request.principal`);
 * a request without a principal (the node itself, before authentication is wired) names
 * the author with `author` (a Practitioner id) in the body.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NoteService } from '../clinical/notes/note-service.js';
import type { NoteActor } from '../clinical/notes/note-service.js';
import { access, principalOf } from './schedule-routes.js';
import type { ClinicalRouteDeps } from './schedule-routes.js';

type Body = Record<string, unknown>;

function actorOf(req: FastifyRequest): NoteActor {
  const principal = principalOf(req);
  if (principal) return { practitionerId: principal.practitionerId };
  const author = (req.body as Body | undefined)?.author;
  return { practitionerId: typeof author === 'string' ? author.replace(/^Practitioner\//, '') : undefined };
}

/** The reader for psychotherapy-note checks (undefined: the node itself). */
function readerOf(req: FastifyRequest): NoteActor | undefined {
  const principal = principalOf(req);
  return principal ? { practitionerId: principal.practitionerId } : undefined;
}

/** Registers the note routes. */
export function registerNoteRoutes(app: FastifyInstance, deps: ClinicalRouteDeps): void {
  const notes = new NoteService(deps.repo, deps.clock);
  const body = (req: FastifyRequest): Body => (req.body ?? {}) as Body;

  app.get('/api/note-templates', access({ action: 'search', resourceType: 'Basic' }), async () => ({ templates: await notes.templates.list() }));
  app.post('/api/note-templates', access({ action: 'create', resourceType: 'Basic' }), async (req, reply) => reply.code(201).send(await notes.templates.create(req.body)));
  app.put<{ Params: { id: string } }>('/api/note-templates/:id', access({ action: 'update', resourceType: 'Basic' }), async (req) => notes.templates.update(req.params.id, req.body));

  app.get<{ Params: { id: string } }>('/api/patients/:id/notes', access({ action: 'search', resourceType: 'DocumentReference', patientParam: 'id' }), async (req) => ({
    notes: await notes.list(req.params.id, readerOf(req)),
  }));
  app.post<{ Params: { id: string } }>('/api/patients/:id/notes', access({ action: 'create', resourceType: 'DocumentReference', patientParam: 'id' }), async (req, reply) =>
    reply.code(201).send(await notes.create(req.params.id, body(req), actorOf(req))),
  );
  app.get<{ Params: { id: string } }>('/api/notes/:id', access({ action: 'read', resourceType: 'DocumentReference' }), async (req) => notes.get(req.params.id, readerOf(req)));
  app.put<{ Params: { id: string } }>('/api/notes/:id', access({ action: 'update', resourceType: 'DocumentReference' }), async (req) => notes.update(req.params.id, body(req), actorOf(req)));
  app.post<{ Params: { id: string } }>('/api/notes/:id/sign', access({ action: 'sign', resourceType: 'DocumentReference' }), async (req) => notes.sign(req.params.id, actorOf(req)));
  app.post<{ Params: { id: string } }>('/api/notes/:id/addendum', access({ action: 'create', resourceType: 'DocumentReference' }), async (req, reply) =>
    reply.code(201).send(await notes.addendum(req.params.id, body(req), actorOf(req))),
  );
  app.post<{ Params: { id: string } }>('/api/notes/:id/amendments', access({ action: 'create', resourceType: 'Task' }), async (req, reply) =>
    reply.code(201).send(await notes.requestAmendment(req.params.id, body(req), readerOf(req))),
  );
  app.post<{ Params: { id: string } }>('/api/amendments/:id/decision', access({ action: 'sign', resourceType: 'DocumentReference' }), async (req) =>
    notes.decideAmendment(req.params.id, body(req), actorOf(req)),
  );
}
