import { Hono } from 'hono';
import { setCookie } from 'hono/cookie';
import { builtInRuleMetas } from '../assay.js';
import { SEVERITIES, type Severity } from '../core/severity.js';
import { escapeHtml as h, renderHtml } from '../report/index.js';
import type { AuditSummary, FindingTrendPoint, Store } from '../store/store.js';
import { grants, presentedToken, TOKEN_COOKIE } from './auth.js';
import type { ProgressBoard } from './jobs.js';

export interface DashboardOptions {
  store: Store;
  progress: ProgressBoard;
  /** Sections other parts of the service add to the dashboard (alerts, drift), each a page under its own path. */
  pages?: readonly DashboardPage[];
}

export interface DashboardPage {
  path: string;
  title: string;
  /** Detail pages (reached from another page's links) stay out of the navigation bar. */
  hidden?: boolean;
  /** `query` reads the request's query parameters; a page about something unknown returns `notFound`. */
  render(store: Store, query: (name: string) => string | undefined): Promise<string | { notFound: string }>;
}

/**
 * Server-rendered pages, no script and no external resource: the CSP forbids both. The live page refreshes itself
 * with `<meta http-equiv="refresh">` until the audit finishes. Pages need a token with the read scope, taken once on
 * /login and kept in an HttpOnly, SameSite=Strict cookie.
 */
export function dashboardRoutes(options: DashboardOptions): Hono {
  const { store, progress } = options;
  const pages = options.pages ?? [];
  const app = new Hono();

  app.get('/login', (c) => c.html(page('Sign in', loginForm(c.req.query('error')), pages)));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const token = typeof form.token === 'string' ? await store.authenticateApiToken(form.token) : undefined;
    if (!token || !grants(token, 'read')) return c.redirect('/login?error=1', 303);
    setCookie(c, TOKEN_COOKIE, form.token as string, { httpOnly: true, sameSite: 'Strict', path: '/' });
    return c.redirect('/', 303);
  });

  app.use('*', async (c, next) => {
    const token = await presentedToken(c, store, true);
    if (!token || !grants(token, 'read')) return c.redirect('/login', 303);
    await next();
  });

  app.get('/', async (c) => {
    const models = await store.listModels();
    const rows = models.map(
      (model) =>
        `<tr><td><a href="/model?name=${encodeURIComponent(model.name)}">${h(model.name)}</a></td>` +
        `<td>${model.latest ? verdictBadge(model.latest) : '<span class="muted">never audited</span>'}</td>` +
        `<td>${model.latest ? h(model.latest.finishedAt ?? model.latest.startedAt) : ''}</td>` +
        `<td class="num">${model.audits}</td></tr>`,
    );
    const body =
      models.length === 0
        ? '<p class="muted">No audits yet. Submit one with POST /api/audits.</p>'
        : table(['Model', 'Current verdict', 'Last audit', 'Audits'], rows);
    return c.html(page('Models', body, pages));
  });

  app.get('/model', async (c) => {
    const name = c.req.query('name') ?? '';
    const audits = await store.listAudits({ model: name, limit: 200 });
    if (audits.length === 0) return c.html(page('Unknown model', `<p>No audits of ${h(name)}.</p>`, pages), 404);
    const trend = await store.findingTrend(name);
    const rows = audits.map(
      (audit) =>
        `<tr><td><a href="/audits/${h(audit.id)}">${h(audit.id.slice(0, 8))}</a></td><td>${verdictBadge(audit)}</td>` +
        `<td>${h(audit.command)}</td><td class="mono">${h((audit.modelDigest ?? '').slice(0, 19))}</td>` +
        `<td>${SEVERITIES.map((severity) => audit.findings[severity] ?? 0).join(' / ')}</td>` +
        `<td>${h(audit.finishedAt ?? audit.startedAt)}</td></tr>`,
    );
    const body = [
      `<h2>Findings over time</h2>${trendChart(trend)}`,
      '<h2>Audit history</h2>',
      table(['Audit', 'Verdict', 'Command', 'Model digest', SEVERITIES.join(' / '), 'When'], rows),
    ].join('');
    return c.html(page(name, body, pages));
  });

  app.get('/audits/:id', async (c) => {
    const stored = await store.getAudit(c.req.param('id')).catch(() => undefined);
    if (!stored) return c.html(page('Unknown audit', '<p>No such audit.</p>', pages), 404);
    if (stored.status === 'running') return c.redirect(`/audits/${stored.id}/live`, 303);
    if (!stored.report) return c.html(page(`Audit ${stored.id}`, `<p>Failed: ${h(stored.error ?? '')}</p>`, pages));
    // The same rendering as `assay audit --format html`, with its own strict CSP.
    return c.html(renderHtml(stored.report, builtInRuleMetas()));
  });

  app.get('/audits/:id/live', async (c) => {
    const stored = await store.getAudit(c.req.param('id')).catch(() => undefined);
    if (!stored) return c.html(page('Unknown audit', '<p>No such audit.</p>', pages), 404);
    const now = progress.get(stored.id);
    const running = stored.status === 'running';
    const percent = now && now.size > 0 ? Math.floor((100 * now.done) / now.size) : 0;
    const body = running
      ? `<p id="status" data-status="running">Running${now ? `: file ${now.index} of ${now.total}, <span class="mono">${h(now.path)}</span>` : ' (waiting for a worker)'}</p>` +
        (now ? `<progress max="100" value="${percent}">${percent}%</progress>` : '')
      : `<p id="status" data-status="${h(stored.status)}">${stored.status === 'finished' ? verdictBadge(stored) : `Failed: ${h(stored.error ?? '')}`}</p>` +
        `<p><a href="/audits/${h(stored.id)}">Open the report</a></p>`;
    return c.html(page(`Audit ${stored.id.slice(0, 8)}`, body, pages, running ? 1 : undefined));
  });

  app.get('/alerts', async (c) => {
    const alerts = await store.listAlerts({ model: c.req.query('model'), limit: 200 });
    const rows = alerts.map(
      ({ alert, sent, deliveredAt, deliveryError }) =>
        `<tr><td>${h(alert.at)}</td><td><a href="/model?name=${encodeURIComponent(alert.model)}">${h(alert.model)}</a></td>` +
        `<td>${h(alert.severity)}</td><td><b>${h(alert.title)}</b><br><span class="muted">${h(alert.message)}</span></td>` +
        `<td>${deliveredAt ? 'delivered' : sent ? `<span class="fail-text">${h(deliveryError ?? 'not delivered')}</span>` : h(deliveryError ?? 'held back')}</td>` +
        `<td>${alert.auditId ? `<a href="/audits/${h(alert.auditId)}">${h(alert.auditId.slice(0, 8))}</a>` : ''}</td></tr>`,
    );
    const body =
      alerts.length === 0
        ? '<p class="muted">No alerts yet.</p>'
        : table(['When', 'Model', 'Severity', 'Alert', 'Delivery', 'Audit'], rows);
    return c.html(page('Alerts', body, pages));
  });

  for (const extra of pages)
    app.get(extra.path, async (c) => {
      const body = await extra.render(store, (name) => c.req.query(name));
      if (typeof body === 'string') return c.html(page(extra.title, body, pages));
      return c.html(page(`Unknown ${extra.title.toLowerCase()}`, `<p>${h(body.notFound)}</p>`, pages), 404);
    });
  return app;
}

function verdictBadge(audit: Pick<AuditSummary, 'status' | 'verdict'>): string {
  if (audit.status === 'running') return '<span class="badge running">RUNNING</span>';
  if (audit.status === 'failed') return '<span class="badge error">ERROR</span>';
  return audit.verdict === 'pass' ? '<span class="badge pass">PASS</span>' : '<span class="badge fail">FAIL</span>';
}

function table(headings: string[], rows: string[]): string {
  return `<table><thead><tr>${headings.map((heading) => `<th>${h(heading)}</th>`).join('')}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

const COLOURS: Record<Severity, string> = {
  critical: '#7f1d1d',
  high: '#dc2626',
  medium: '#d97706',
  low: '#0891b2',
  info: '#9ca3af',
};

/** Stacked bars of unsuppressed findings per audit, oldest left, as inline SVG (no script, no library). */
export function trendChart(points: readonly FindingTrendPoint[]): string {
  if (points.length === 0) return '<p class="muted">No finished audits yet.</p>';
  const width = 640;
  const height = 160;
  const totals = points.map((point) => SEVERITIES.reduce((sum, severity) => sum + (point.findings[severity] ?? 0), 0));
  const top = Math.max(1, ...totals);
  const slot = width / points.length;
  const bars = points.flatMap((point, index) => {
    let y = height;
    return SEVERITIES.map((severity) => {
      const count = point.findings[severity] ?? 0;
      const barHeight = (count / top) * (height - 10);
      y -= barHeight;
      return count === 0
        ? ''
        : `<rect x="${(index * slot + slot * 0.15).toFixed(1)}" y="${y.toFixed(1)}" width="${(slot * 0.7).toFixed(1)}" height="${barHeight.toFixed(1)}" fill="${COLOURS[severity]}"><title>${h(`${point.at}: ${count} ${severity}`)}</title></rect>`;
    });
  });
  return `<svg class="trend" role="img" aria-label="Findings per audit" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">${bars.join('')}</svg>`;
}

function loginForm(error: string | undefined): string {
  return (
    (error ? '<p class="fail-text">That token is not valid or cannot read.</p>' : '') +
    '<form method="post" action="/login"><label>API token <input type="password" name="token" autocomplete="off" required></label> ' +
    '<button type="submit">Sign in</button></form>'
  );
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:0;color:#111827;background:#f9fafb}
header{background:#111827;color:#fff;padding:10px 24px;display:flex;gap:18px;align-items:center}
header a{color:#e5e7eb;text-decoration:none}header b{font-size:16px;margin-right:12px}
main{padding:18px 24px;max-width:1100px}table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #e5e7eb;padding:6px 8px;text-align:left}.num{text-align:right}
.mono{font-family:ui-monospace,monospace}.muted{color:#6b7280}.badge{padding:1px 6px;border-radius:4px;color:#fff;font-weight:600}
.pass{background:#15803d}.fail{background:#b91c1c}.running{background:#2563eb}.error{background:#6b7280}.fail-text{color:#b91c1c}
progress{width:320px}svg.trend{background:#fff;border:1px solid #e5e7eb}`;

function page(title: string, body: string, pages: readonly DashboardPage[], refreshSeconds?: number): string {
  const nav = [
    ['/', 'Models'],
    ['/alerts', 'Alerts'],
    ...pages.filter((extra) => !extra.hidden).map((extra) => [extra.path, extra.title]),
  ]
    .map(([path, label]) => `<a href="${h(path as string)}">${h(label as string)}</a>`)
    .join('');
  return [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'">`,
    refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : '',
    `<title>${h(title)} · Assay</title><style>${STYLE}</style></head><body>`,
    `<header><b>Assay</b>${nav}</header><main><h1>${h(title)}</h1>${body}</main></body></html>`,
  ].join('');
}
