// Harmless activity recorded under strace for the parser and behavior fixtures (run by
// record.sh inside an empty network namespace: only loopback exists, nothing leaves the host).
'use strict';
const fs = require('fs');
const net = require('net');
const dgram = require('dgram');
const cp = require('child_process');

const work = process.argv[2];
fs.readFileSync('/etc/hostname');
try { fs.readFileSync('/nonexistent/secret'); } catch {}
fs.mkdirSync(`${work}/sub`);
fs.writeFileSync(`${work}/sub/a.txt`, 'hello\n');
fs.renameSync(`${work}/sub/a.txt`, `${work}/sub/b.txt`);
fs.chmodSync(`${work}/sub/b.txt`, 0o755);
process.chdir(`${work}/sub`);
fs.readFileSync('b.txt'); // relative to the new cwd
fs.unlinkSync('b.txt');
cp.execSync(`sh -c "echo hi > ${work}/out.txt; cat ${work}/out.txt > /dev/null"`);

// A DNS-looking datagram for example.invalid (A), sent to an unreachable TEST-NET resolver.
const query = Buffer.from('123401000001000000000000076578616d706c6507696e76616c69640000010001', 'hex');
const udp = dgram.createSocket('udp4');
udp.send(query, 53, '192.0.2.10', () => {
  udp.close();
  const server = net.createServer((s) => s.on('data', () => s.end())).listen(0, '127.0.0.1', () => {
    const { port } = server.address();
    const c = net.connect(port, '127.0.0.1', () => c.end('ping\n'));
    c.on('close', () => {
      server.close();
      const far = net.connect(4444, '192.0.2.10');
      far.on('error', () => {
        // Leave a grandchild running after we exit: it outlives the root process.
        cp.spawn('sh', ['-c', 'sleep 0.3; echo late > /dev/null'], { detached: true, stdio: 'ignore' }).unref();
        const victim = cp.spawn('sleep', ['5']);
        setTimeout(() => victim.kill('SIGKILL'), 50);
        victim.on('exit', () => process.exit(3));
      });
    });
  });
});
