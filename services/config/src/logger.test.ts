import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, usePrettyLogs } from './index.js';

function capture(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY });
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes JSON lines with the logger name when not on a terminal', () => {
    const out = capture(false);
    createLogger('api', { destination: out.stream, format: 'auto', level: 'info' }).info({ port: 3000 }, 'listening');
    const line = JSON.parse(out.text().trim());
    expect(line).toMatchObject({ name: 'api', msg: 'listening', port: 3000, level: 30 });
  });

  it('writes readable lines when asked for pretty output', () => {
    const out = capture(false);
    createLogger('worker', { destination: out.stream, format: 'pretty', level: 'info' }).warn('closing');
    expect(out.text()).toMatch(/WARN.*\(worker\).*closing/);
    expect(() => JSON.parse(out.text())).toThrow();
  });

  it('respects the level', () => {
    const out = capture(false);
    createLogger('x', { destination: out.stream, format: 'json', level: 'warn' }).info('hidden');
    expect(out.text()).toBe('');
  });
});

describe('usePrettyLogs', () => {
  it('is pretty on a terminal only in auto mode', () => {
    expect(usePrettyLogs('auto', { isTTY: true })).toBe(true);
    expect(usePrettyLogs('auto', {})).toBe(false);
    expect(usePrettyLogs('json', { isTTY: true })).toBe(false);
    expect(usePrettyLogs('pretty', {})).toBe(true);
  });
});
