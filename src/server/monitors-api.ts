import { Hono, type MiddlewareHandler } from 'hono';
import { Config, MonitorConfig } from '../core/config.js';
import { MonitorConflictError } from '../store/kysely-store.js';
import type { Store, StoredMonitor } from '../store/store.js';
import { parseBody } from './app.js';
import { type AuthVariables, requireScope } from './auth.js';
import { checkMonitor, evaluateMonitor, ingest, MonitorError, monitorConfig } from './monitors.js';
import { type AlertNotifier, alertNotifier } from './notify.js';
import { IngestBatch } from './schemas.js';

export interface MonitorRoutesOptions {
  store: Store;
  /** Where drift and metric alerts go (default: recorded in the store, no webhooks). */
  notifier?: AlertNotifier;
  /** Body size limit middleware shared with the other write routes. */
  limit: MiddlewareHandler;
  /** Called after a monitor is saved (the service schedules it when it has a schedule). */
  onMonitorSaved?: (monitor: StoredMonitor) => Promise<void>;
}

/**
 * The monitoring API: define monitors (admin), post observations (write; each batch is evaluated unless the
 * monitor has a schedule), read verdicts and history (read).
 */
export function monitorRoutes(options: MonitorRoutesOptions): Hono<{ Variables: AuthVariables }> {
  const { store, limit } = options;
  const notifier = options.notifier ?? alertNotifier(Config.parse({}).alerts, store);
  const app = new Hono<{ Variables: AuthVariables }>();
  const read = requireScope(store, 'read');
  const write = requireScope(store, 'write');
  const admin = requireScope(store, 'admin');
  const summary = async (stored: StoredMonitor) => ({
    ...stored,
    latest: (await store.monitorResults(stored.name, 1))[0] ?? null,
  });

  app.post('/api/monitors', admin, limit, async (c) => {
    const body = await parseBody(c.req.raw, MonitorConfig);
    if ('error' in body) return c.json({ error: body.error }, 400);
    try {
      await checkMonitor(store, body.value);
      const saved = await store.saveMonitor({
        name: body.value.name,
        model: body.value.model,
        config: body.value,
        actor: c.get('token').name,
      });
      await options.onMonitorSaved?.(saved);
      return c.json(saved, 201);
    } catch (error) {
      if (error instanceof MonitorError) return c.json({ error: error.message }, 400);
      if (error instanceof MonitorConflictError) return c.json({ error: error.message }, 409);
      throw error;
    }
  });

  app.get('/api/monitors', read, async (c) => c.json(await Promise.all((await store.listMonitors()).map(summary))));

  app.get('/api/monitors/:name', read, async (c) => {
    const stored = await store.getMonitor(c.req.param('name'));
    return stored ? c.json(await summary(stored)) : c.json({ error: `no monitor ${c.req.param('name')}` }, 404);
  });

  app.get('/api/monitors/:name/results', read, async (c) => {
    const stored = await store.getMonitor(c.req.param('name'));
    if (!stored) return c.json({ error: `no monitor ${c.req.param('name')}` }, 404);
    const count = Number(c.req.query('limit') ?? 100);
    if (!Number.isInteger(count) || count < 1 || count > 1000)
      return c.json({ error: 'limit must be an integer from 1 to 1000' }, 400);
    return c.json(await store.monitorResults(stored.name, count));
  });

  app.post('/api/monitors/:name/observations', write, limit, async (c) => {
    const stored = await store.getMonitor(c.req.param('name'));
    if (!stored) return c.json({ error: `no monitor ${c.req.param('name')}` }, 404);
    const body = await parseBody(c.req.raw, IngestBatch);
    if ('error' in body) return c.json({ error: body.error }, 400);
    const stats = await ingest(store, stored, body.value, c.get('token').name);
    // A scheduled monitor is judged on its schedule; otherwise every batch gets a verdict in the answer.
    const evaluation = monitorConfig(stored).schedule ? null : await evaluateMonitor(store, stored, notifier);
    return c.json({ ...stats, evaluation }, 202);
  });

  app.post('/api/monitors/:name/evaluate', write, async (c) => {
    const stored = await store.getMonitor(c.req.param('name'));
    if (!stored) return c.json({ error: `no monitor ${c.req.param('name')}` }, 404);
    return c.json(await evaluateMonitor(store, stored, notifier));
  });

  return app;
}
