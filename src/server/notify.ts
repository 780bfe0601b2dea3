import { type Alert, type AuditOutcome, alertsBetween } from '../alerts/alert.js';
import { type DeliveryResult, deliverAlert, shouldSend } from '../alerts/webhook.js';
import type { Config } from '../core/config.js';

/** Where sent alerts are remembered: deduplication and cool-down read it, the dashboard lists it. */
export interface AlertHistory {
  lastSent(model: string, dedupKey: string): Promise<string | undefined>;
  record(alert: Alert, deliveries: DeliveryResult[], sent: boolean): Promise<void>;
}

export interface AlertNotifier {
  afterAudit(previous: AuditOutcome | undefined, current: AuditOutcome): Promise<Alert[]>;
  /** For alerts raised outside audits (drift, metric regressions). */
  raise(alert: Alert): Promise<void>;
}

/** Derives alerts from audits, holds back repeats within the cool-down, delivers to every webhook, records all. */
export function alertNotifier(alerts: Config['alerts'], history: AlertHistory, now = () => new Date()): AlertNotifier {
  const raise = async (alert: Alert) => {
    const send = await shouldSend(alert, alerts.cooldownMinutes, (model, key) => history.lastSent(model, key));
    const deliveries = send ? await Promise.all(alerts.webhooks.map((webhook) => deliverAlert(webhook, alert))) : [];
    await history.record(alert, deliveries, send);
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
