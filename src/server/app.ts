import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { ZodType } from 'zod';
import { builtInRuleMetas } from '../assay.js';
import { isOutputFormat, OUTPUT_FORMATS, render } from '../report/index.js';
import { modelName } from '../store/model-name.js';
import type { Store, StoredMonitor } from '../store/store.js';
import { type AuthVariables, requireScope } from './auth.js';
import { type DashboardOptions, dashboardRoutes } from './dashboard.js';
import { DRIFT_PAGES } from './drift-pages.js';
import { type AuditJob, checkTargetAllowed, type JobQueue, type ProgressBoard, TargetNotAllowedError } from './jobs.js';
import { monitorRoutes } from './monitors-api.js';
import type { AlertNotifier } from './notify.js';
import { CreateToken, type GateAnswer, SubmitAudit } from './schemas.js';

export interface ServerOptions extends DashboardOptions {
  store: Store;
  queue: JobQueue;
  progress: ProgressBoard;
  /** Folders audits may read; targets elsewhere are refused. */
  roots: readonly string[];
  /** False with --offline: hf:// targets are refused. */
  allowHub: boolean;
  /** Largest request body accepted, in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** Alerts raised by monitors (default: recorded in the store only). */
  notifier?: AlertNotifier;
  /** Called after POST /api/monitors saved a monitor. */
  onMonitorSaved?: (monitor: StoredMonitor) => Promise<void>;
}

type Env = { Variables: AuthVariables };

/** The REST API and the dashboard of `assay serve`, on one Hono app (tests call `app.request` or a real socket). */
export function createApp(options: ServerOptions): Hono<Env> {
  const { store, queue } = options;
  const app = new Hono<Env>();
  const read = requireScope(store, 'read');
  const write = requireScope(store, 'write');
  const admin = requireScope(store, 'admin');
  const limit = bodyLimit({
    maxSize: options.maxBodyBytes ?? 1024 * 1024,
    onError: (c) => c.json({ error: `request body larger than ${options.maxBodyBytes ?? 1024 * 1024} bytes` }, 413),
  });

  app.onError((error, c) => {
    console.error(error);
    return c.json({ error: 'internal error; the server log has the details' }, 500);
  });
  app.get('/healthz', (c) => c.json({ ok: true, store: store.kind }));

  /** The deploy gate: allow only when the latest finished audit of exactly these bytes passed. */
  app.get('/api/gate', read, async (c) => {
    const model = c.req.query('model');
    const digest = c.req.query('digest');
    if (!model || !digest) return c.json({ error: 'query parameters model and digest are both required' }, 400);
    const latest = await store.latestAuditForDigest(model, digest);
    const answer: GateAnswer = latest
      ? {
          allow: latest.verdict === 'pass',
          reasons:
            latest.verdict === 'pass'
              ? []
              : ((await store.getAudit(latest.id))?.report?.gate.reasons ?? [`audit ${latest.id} failed the gate`]),
          model,
          digest,
          auditId: latest.id,
          auditedAt: latest.finishedAt ?? latest.startedAt,
        }
      : { allow: false, reasons: [`no finished audit of ${model} at ${digest}: audit it first`], model, digest };
    return c.json(answer);
  });

  app.post('/api/audits', write, limit, async (c) => {
    const body = await parseBody(c.req.raw, SubmitAudit);
    if ('error' in body) return c.json({ error: body.error }, 400);
    const request = body.value;
    try {
      checkTargetAllowed(request.target, options.roots, options.allowHub);
      if (request.policy) checkTargetAllowed(request.policy, options.roots, false);
    } catch (error) {
      if (error instanceof TargetNotAllowedError) return c.json({ error: error.message }, 403);
      throw error;
    }
    const model = request.model ?? modelName(request.target);
    const started = await store.startAudit({ command: request.command, model, actor: c.get('token').name });
    const job: AuditJob = { auditId: started.id, model, target: request.target, command: request.command };
    if (request.policy) job.policy = request.policy;
    await queue.submit(job);
    return c.json({ id: started.id, status: started.status, model, links: links(started.id) }, 202);
  });

  app.get('/api/audits', read, async (c) => {
    const limitParam = Number(c.req.query('limit') ?? 50);
    if (!Number.isInteger(limitParam) || limitParam < 1 || limitParam > 1000)
      return c.json({ error: 'limit must be an integer from 1 to 1000' }, 400);
    return c.json(await store.listAudits({ model: c.req.query('model'), limit: limitParam }));
  });

  app.get('/api/audits/:id', read, async (c) => {
    const stored = await store.getAudit(c.req.param('id')).catch(() => undefined);
    if (!stored) return c.json({ error: `no audit ${c.req.param('id')}` }, 404);
    const { report: _report, ...summary } = stored;
    return c.json({ ...summary, progress: options.progress.get(stored.id), links: links(stored.id) });
  });

  app.get('/api/audits/:id/report', read, async (c) => {
    const format = c.req.query('format') ?? 'json';
    if (!isOutputFormat(format)) return c.json({ error: `format must be one of ${OUTPUT_FORMATS.join(', ')}` }, 400);
    const stored = await store.getAudit(c.req.param('id')).catch(() => undefined);
    if (!stored) return c.json({ error: `no audit ${c.req.param('id')}` }, 404);
    if (!stored.report) return c.json({ error: `audit ${stored.id} is ${stored.status}: no report yet` }, 409);
    const body = render(format, stored.report, builtInRuleMetas());
    return c.body(body, 200, { 'content-type': CONTENT_TYPES[format] ?? 'text/plain; charset=utf-8' });
  });

  app.get('/api/models', read, async (c) => c.json(await store.listModels()));

  app.post('/api/tokens', admin, limit, async (c) => {
    const body = await parseBody(c.req.raw, CreateToken);
    if ('error' in body) return c.json({ error: body.error }, 400);
    const created = await store.createApiToken(body.value.name, body.value.scopes, c.get('token').name);
    return c.json({ token: created.token, ...created.record }, 201);
  });

  app.delete('/api/tokens/:id', admin, async (c) => {
    const revoked = await store.revokeApiToken(c.req.param('id'), c.get('token').name);
    return revoked ? c.json(revoked) : c.json({ error: `no token ${c.req.param('id')}` }, 404);
  });

  app.route('/', monitorRoutes({ store, limit, notifier: options.notifier, onMonitorSaved: options.onMonitorSaved }));
  app.route('/', dashboardRoutes({ ...options, pages: [...(options.pages ?? []), ...DRIFT_PAGES] }));
  return app;
}

const CONTENT_TYPES: Partial<Record<string, string>> = {
  json: 'application/json',
  sarif: 'application/sarif+json',
  cyclonedx: 'application/vnd.cyclonedx+json',
  html: 'text/html; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
  junit: 'application/xml',
};

function links(id: string) {
  return { self: `/api/audits/${id}`, report: `/api/audits/${id}/report`, live: `/audits/${id}/live` };
}

/** JSON body checked against its schema; the message names the offending key. Nothing is written on failure. */
export async function parseBody<T>(request: Request, schema: ZodType<T>): Promise<{ value: T } | { error: string }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await request.text());
  } catch {
    return { error: 'the request body is not valid JSON' };
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success)
    return {
      error: `invalid request body: ${parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ')}`,
    };
  return { value: parsed.data };
}
