import { createHmac } from 'node:crypto';

export const WEBHOOK_SIGNATURE_HEADER = 'X-Vetbox-Signature';
export const WEBHOOK_TIMESTAMP_HEADER = 'X-Vetbox-Timestamp';

/**
 * `sha256=<hex>` of HMAC-SHA256(secret, `${timestamp}.${body}`). The timestamp is signed too so a
 * captured delivery cannot be replayed later with a fresh timestamp.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookDelivery {
  url: string;
  secret: string;
  event: string;
  payload: unknown;
  timeoutMs?: number;
  fetchImpl?: typeof fetch;
}

/** One POST, signed; returns the HTTP status (or throws on a network error or timeout). */
export async function deliverWebhook(d: WebhookDelivery): Promise<number> {
  const body = JSON.stringify({ event: d.event, data: d.payload });
  const timestamp = Math.floor(Date.now() / 1000);
  const res = await (d.fetchImpl ?? fetch)(d.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'vetbox-webhook/1',
      [WEBHOOK_TIMESTAMP_HEADER]: String(timestamp),
      [WEBHOOK_SIGNATURE_HEADER]: signWebhook(d.secret, timestamp, body),
    },
    body,
    redirect: 'manual',
    signal: AbortSignal.timeout(d.timeoutMs ?? 10_000),
  });
  await res.body?.cancel().catch(() => {});
  return res.status;
}
