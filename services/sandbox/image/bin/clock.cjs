'use strict';
// Changes the fast clock's state page (see ../fastclock.c; the sandbox creates it at real time:
// clockStatePage in src/phases/clock.ts), as root, between phases.
//   clock.cjs set <rate> [<ahead-ms> [<delay-ms>]]   from now (+delay) on, time runs <rate>x;
//                                                    the date moves <ahead-ms> ahead
// Prints the state after the change as JSON. The layout is fastclock.c's `struct state`.
const fs = require('node:fs');

const PATH = process.env.FASTCLOCK_STATE || '/run/systemd/timesync/clock';
const MAGIC = 0x6b636c66;
const SIZE = 48;

const monoNs = () => process.hrtime.bigint();

function read(fd) {
  const b = Buffer.alloc(SIZE);
  fs.readSync(fd, b, 0, SIZE, 0);
  return {
    uid: b.readUInt32LE(8),
    flags: b.readUInt32LE(12),
    anchorReal: b.readBigInt64LE(16),
    anchorFake: b.readBigInt64LE(24),
    rateMilli: b.readBigInt64LE(32),
    rtOffset: b.readBigInt64LE(40),
  };
}

// seq odd while the fields change (readers retry), even when done.
function write(fd, s, seq) {
  const b = Buffer.alloc(SIZE);
  b.writeUInt32LE(MAGIC, 0);
  b.writeUInt32LE(seq | 1, 4);
  b.writeUInt32LE(s.uid, 8);
  b.writeUInt32LE(s.flags, 12);
  b.writeBigInt64LE(s.anchorReal, 16);
  b.writeBigInt64LE(s.anchorFake, 24);
  b.writeBigInt64LE(s.rateMilli, 32);
  b.writeBigInt64LE(s.rtOffset, 40);
  fs.writeSync(fd, b.subarray(4, 8), 0, 4, 4);
  fs.writeSync(fd, b.subarray(8), 0, SIZE - 8, 8);
  b.writeUInt32LE((seq + 2) & ~1, 4);
  fs.writeSync(fd, b.subarray(0, 8), 0, 8, 0);
}

function fakeNow(s, real) {
  const since = real - s.anchorReal;
  return s.anchorFake + (since > 0n ? (since * s.rateMilli) / 1000n : since);
}

const [cmd, ...args] = process.argv.slice(2);
if (cmd === 'set') {
  const fd = fs.openSync(PATH, 'r+');
  const seq = Buffer.alloc(4);
  fs.readSync(fd, seq, 0, 4, 4);
  const s = read(fd);
  // A delay longer than fastclock's wait chunk lets every sleeper see the change coming.
  const at = monoNs() + BigInt(Math.round(Number(args[2] || 0))) * 1000000n;
  const next = { ...s, anchorReal: at, anchorFake: fakeNow(s, at), rateMilli: BigInt(Math.round(Number(args[0]) * 1000)) };
  if (args[1]) next.rtOffset = s.rtOffset + BigInt(args[1]) * 1000000n;
  write(fd, next, seq.readUInt32LE(0));
  fs.closeSync(fd);
} else {
  process.stderr.write('usage: clock.cjs set <rate> [<ahead-ms> [<delay-ms>]]\n');
  process.exit(2);
}
const fd = fs.openSync(PATH, 'r');
const s = read(fd);
const real = monoNs();
const at = s.anchorReal > real ? s.anchorReal : real;
process.stdout.write(JSON.stringify({ rate: Number(s.rateMilli) / 1000, skewMs: Number(fakeNow(s, at) - at) / 1e6, aheadMs: Number(s.rtOffset) / 1e6, startsInMs: Number(at - real) / 1e6 }) + '\n');
