import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { deliverWebhook, sendWebhookInBackground, signWebhook, WEBHOOK_SIGNATURE_HEADER, WEBHOOK_TIMESTAMP_HEADER } from './webhook.js';

const servers: http.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function receiver(statuses: number[]) {
  const got: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(statuses.shift() ?? 204).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, got };
}

describe('webhooks', () => {
  it('signs timestamp and body with HMAC-SHA256', () => {
    const expected = createHmac('sha256', 's3cret').update('1700000000.{"a":1}').digest('hex');
    expect(signWebhook('s3cret', 1700000000, '{"a":1}')).toBe(`sha256=${expected}`);
    expect(signWebhook('other', 1700000000, '{"a":1}')).not.toBe(`sha256=${expected}`);
  });

  it('delivers a verifiable POST', async () => {
    const r = await receiver([200]);
    expect(await deliverWebhook({ url: r.url, secret: 'k', event: 'analysis.completed', payload: { id: 'x' } })).toBe(200);
    const { headers, body } = r.got[0];
    expect(JSON.parse(body)).toEqual({ event: 'analysis.completed', data: { id: 'x' } });
    const ts = Number(headers[WEBHOOK_TIMESTAMP_HEADER.toLowerCase()]);
    expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(5);
    expect(headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()]).toBe(signWebhook('k', ts, body));
  });

  it('retries 5xx in the background, then gives up and says so', async () => {
    const r = await receiver([503, 500, 204]);
    await new Promise<void>((resolve, reject) => {
      sendWebhookInBackground({ url: r.url, secret: 'k', event: 'e', payload: {} }, reject, [10, 10]);
      const t = setInterval(() => r.got.length === 3 && (clearInterval(t), resolve()), 10);
    });
    const failing = await receiver([500, 500, 500]);
    const err = await new Promise<Error>((resolve) => sendWebhookInBackground({ url: failing.url, secret: 'k', event: 'e', payload: {} }, resolve, [10, 10]));
    expect(err.message).toBe('webhook answered 500');
    expect(failing.got).toHaveLength(3);
  });
});
