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

const RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

/**
 * Delivers in the background: retried on network errors, 429 and 5xx a few times, then given up
 * (reported through `onGiveUp`). Never throws, never blocks the caller.
 */
export function sendWebhookInBackground(
  d: WebhookDelivery,
  onGiveUp: (err: Error) => void,
  delaysMs: readonly number[] = RETRY_DELAYS_MS,
): void {
  void (async () => {
    for (let attempt = 0; ; attempt++) {
      try {
        const code = await deliverWebhook(d);
        if (code < 500 && code !== 429) return;
        throw new Error(`webhook answered ${code}`);
      } catch (err) {
        const delay = delaysMs[attempt];
        if (delay === undefined) throw err;
        await new Promise((r) => setTimeout(r, delay).unref());
      }
    }
  })().catch((err: unknown) => onGiveUp(err instanceof Error ? err : new Error(String(err))));
}
