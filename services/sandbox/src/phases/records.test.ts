import { describe, expect, it } from 'vitest';
import { parseCallRecords, withoutRecords } from './records.js';

const out = [
  'some package output',
  '@@VBCALL@@{"event":"start","call":0,"name":"loadConfig()","of":"t-pkg","pid":41,"t":1000}',
  'partial line@@VBCALL@@{"event":"end"}',
  '@@VBCALL@@{"event":"end","call":0,"name":"loadConfig()","of":"t-pkg","pid":41,"t":1010,"outcome":"returned"}',
  '@@VBCALL@@{"event":"start","name":"t-pkg --help","bin":true,"pid":50,"t":1020}',
  '@@VBCALL@@not json',
  '@@VBCALL@@{"event":"start","call":1,"name":"hang()","of":"t-pkg","pid":41,"t":1030}',
  '@@VBCALL@@{"event":"end","name":"t-pkg --help","bin":true,"pid":50,"t":1040,"outcome":"exit 0"}',
].join('\n');

describe('parseCallRecords', () => {
  it('joins start and end records per call, skips what is malformed, keeps unfinished calls', () => {
    expect(parseCallRecords(out, 'execute')).toEqual([
      { phase: 'execute', kind: 'call', name: 'loadConfig()', of: 't-pkg', pid: 41, startMs: 1000, endMs: 1010, outcome: 'returned' },
      { phase: 'execute', kind: 'bin', name: 't-pkg --help', pid: 50, startMs: 1020, endMs: 1040, outcome: 'exit 0' },
      { phase: 'execute', kind: 'call', name: 'hang()', of: 't-pkg', pid: 41, startMs: 1030, endMs: null, outcome: 'unfinished' },
    ]);
  });

  it('moves records made on a clock that runs ahead back to real time', () => {
    expect(parseCallRecords(out, 'next-login', 1000)[0]).toMatchObject({ startMs: 0, endMs: 10 });
  });

  it('takes the records out of the output a reader sees', () => {
    expect(withoutRecords(out)).toBe('some package output\npartial line@@VBCALL@@{"event":"end"}');
  });
});
