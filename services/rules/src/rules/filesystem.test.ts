import { describe, expect, it } from 'vitest';
import { BehaviorBuilder, HOME, PKG_DIR, WORKDIR } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';
import { nodeGypBuild } from '../__fixtures__/scenarios.js';

describe('write-outside-package', () => {
  it('fires low for writes into the project or the home directory', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.write(node, `${WORKDIR}/.git/hooks/pre-commit`);
    b.write(node, `${HOME}/Documents/notes.txt`);
    const [f] = fired(run(b), 'write-outside-package');
    expect(f?.severity).toBe('low');
    expect(f?.evidence.map((e) => e.summary)).toEqual([
      'sh -c node x.js wrote ~/project/.git/hooks/pre-commit',
      'sh -c node x.js wrote ~/Documents/notes.txt',
    ]);
    expect(run(b).verdict).toBe('benign');
  });

  it('fires medium for system directories and ~/.local/bin', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.write(node, '/usr/local/bin/node');
    b.write(node, `${HOME}/.local/bin/git`);
    expect(fired(run(b), 'write-outside-package')[0]?.severity).toBe('medium');
  });

  it('fires medium for config of tools that run later (~/.npmrc registry redirect, ~/.ssh/config)', () => {
    for (const path of [`${HOME}/.npmrc`, `${HOME}/.ssh/config`, `${HOME}/.gitconfig`, `${HOME}/.config/pip/pip.conf`]) {
      const b = new BehaviorBuilder();
      b.write(b.lifecycle('node x.js'), path);
      expect(fired(run(b), 'write-outside-package')[0]?.severity, path).toBe('medium');
    }
  });

  it('ignores the package dir, node_modules, caches, temp, devices, failed writes and housekeeping', () => {
    const b = nodeGypBuild();
    const node = b.lifecycle('node x.js');
    b.write(node, `${PKG_DIR}/dist/index.js`);
    b.write(node, `${WORKDIR}/node_modules/.cache/demo/x`);
    b.write(node, `${HOME}/.npm/_cacache/x`);
    b.write(node, `${HOME}/.cache/demo/x`);
    b.write(node, `${HOME}/.node-gyp/20.0.0/x`);
    b.write(node, '/tmp/x');
    b.write(node, '/dev/null');
    b.write(node, '/proc/self/oom_score_adj');
    b.write(node, '/etc/motd', { result: 'EACCES' });
    b.write(b.npm(), `${WORKDIR}/package-lock.json`);
    expect(fired(run(b), 'write-outside-package')).toEqual([]);
  });
});

describe('anti-forensics', () => {
  it('fires when the install script deletes itself', () => {
    const b = new BehaviorBuilder();
    const node = b.child(b.lifecycle('node setup.js'), ['node', 'setup.js']);
    b.file(node, 'delete', `${PKG_DIR}/setup.js`);
    const [f] = fired(run(b), 'anti-forensics');
    expect(f?.severity).toBe('high');
    expect(f?.evidence[0]?.summary).toContain('deleted the script it ran');
  });

  it('fires when package.json is replaced, history is wiped, or logs are deleted', () => {
    const b = new BehaviorBuilder();
    const node = b.lifecycle('node x.js');
    b.file(node, 'rename', `${PKG_DIR}/package.md`, { target: `${PKG_DIR}/package.json` });
    b.file(node, 'delete', `${HOME}/.bash_history`);
    b.file(node, 'delete', '/var/log/auth.log');
    b.child(node, ['sh', '-c', 'unset HISTFILE; history -c']);
    expect(fired(run(b), 'anti-forensics')[0]?.evidence).toHaveLength(4);
  });

  it('ignores cleaning build intermediates and temp files, and npm replacing package.json', () => {
    const b = nodeGypBuild();
    const node = b.child(b.lifecycle('node build.js'), ['node', 'build.js']);
    b.file(node, 'delete', `${PKG_DIR}/build/Release/obj.target/addon.o`);
    b.file(node, 'delete', '/tmp/build-x.tgz');
    b.file(node, 'delete', `${PKG_DIR}/prebuild.tgz`);
    b.read(node, `${HOME}/.bash_history.example`);
    b.file(b.npm(), 'rename', `${PKG_DIR}/package.json.tmp`, { target: `${PKG_DIR}/package.json` });
    expect(fired(run(b), 'anti-forensics')).toEqual([]);
  });
});
