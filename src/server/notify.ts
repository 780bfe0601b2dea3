import { type Alert, type AuditOutcome, alertsBetween } from '../alerts/alert.js';
import { deliverAlert, shouldSend } from '../alerts/webhook.js';
import type { Config } from '../core/config.js';
import type { Store } from '../store/store.js';

export interface AlertNotifier {
  afterAudit(previous: AuditOutcome | undefined, current: AuditOutcome): Promise<Alert[]>;
  /** For alerts raised outside audits (drift, metric regressions). */
  raise(alert: Alert): Promise<void>;
}

/**
 * Derives alerts from audits, holds back repeats within the cool-down, delivers to every webhook, and records each
 * alert in the store (raised, delivered or held back) for the next cool-down decision and the dashboard.
 */
export function alertNotifier(
  alerts: Config['alerts'],
  store: Pick<Store, 'lastAlertSent' | 'recordAlert'>,
  now = () => new Date(),
): AlertNotifier {
  const raise = async (alert: Alert) => {
    const sent = await shouldSend(alert, alerts.cooldownMinutes, (model, key) => store.lastAlertSent(model, key));
    const deliveries = sent ? await Promise.all(alerts.webhooks.map((webhook) => deliverAlert(webhook, alert))) : [];
    await store.recordAlert(alert, { sent, deliveries });
  };
  return {
    raise,
    async afterAudit(previous, current) {
      const raised = alertsBetween(previous, current, now().toISOString());
      for (const alert of raised) await raise(alert);
      return raised;
    },
  };
}
