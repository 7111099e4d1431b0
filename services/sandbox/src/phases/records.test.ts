import { describe, expect, it } from 'vitest';
import { parseCallRecords } from './records.js';

const K = '"k":"0123456789abcdef"';
const out = [
  '@@VBCALL@@{"event":"key","k":"0123456789abcdef"}',
  'some package output',
  `@@VBCALL@@{"event":"start","call":0,"name":"loadConfig()","of":"t-pkg","pid":41,"t":1000,${K}}`,
  'partial line@@VBCALL@@{"event":"end"}',
  `@@VBCALL@@{"event":"end","call":0,"name":"loadConfig()","of":"t-pkg","pid":41,"t":1010,"outcome":"returned",${K}}`,
  `@@VBCALL@@{"event":"start","name":"t-pkg --help","bin":true,"pid":50,"t":1020,${K}}`,
  '@@VBCALL@@not json',
  // Written by package code that found the socket: no key, or not the harness's.
  '@@VBCALL@@{"event":"start","call":9,"name":"forged()","of":"t-pkg","pid":41,"t":1025}',
  '@@VBCALL@@{"event":"start","call":9,"name":"forged()","of":"t-pkg","pid":41,"t":1025,"k":"fedcba9876543210"}',
  `@@VBCALL@@{"event":"start","call":1,"name":"hang()","of":"t-pkg","pid":41,"t":1030,${K}}`,
  `@@VBCALL@@{"event":"end","name":"t-pkg --help","bin":true,"pid":50,"t":1040,"outcome":"exit 0",${K}}`,
].join('\n');

describe('parseCallRecords', () => {
  it('joins start and end records per call, skips what is malformed, keeps unfinished calls', () => {
    expect(parseCallRecords(out, 'execute')).toEqual([
      { phase: 'execute', kind: 'call', name: 'loadConfig()', of: 't-pkg', pid: 41, startMs: 1000, endMs: 1010, outcome: 'returned' },
      { phase: 'execute', kind: 'bin', name: 't-pkg --help', pid: 50, startMs: 1020, endMs: 1040, outcome: 'exit 0' },
      { phase: 'execute', kind: 'call', name: 'hang()', of: 't-pkg', pid: 41, startMs: 1030, endMs: null, outcome: 'unfinished' },
    ]);
  });

  it('keeps nothing when the first line declares no key (the harness died first, or the lines are not its)', () => {
    expect(parseCallRecords(out.split('\n').slice(1).join('\n'), 'execute')).toEqual([]);
    expect(parseCallRecords(`@@VBCALL@@{"event":"key","k":"short"}\n${out}`, 'execute')).toEqual([]);
  });

  it('moves records made on a clock that runs ahead back to real time', () => {
    expect(parseCallRecords(out, 'next-login', 1000)[0]).toMatchObject({ startMs: 0, endMs: 10 });
  });
});
