import { describe, expect, it } from 'vitest';
import { BehaviorBuilder, HOME, PKG_DIR, WORKDIR } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';

describe('persistence', () => {
  const places = [
    `${HOME}/.bashrc`,
    `${HOME}/.profile`,
    `${HOME}/.zshrc`,
    '/var/spool/cron/crontabs/vb-u7x2',
    '/etc/cron.d/updater',
    `${HOME}/.config/systemd/user/updater.service`,
    '/etc/systemd/system/updater.service',
    `${HOME}/.config/autostart/updater.desktop`,
    `${HOME}/.ssh/authorized_keys`,
    '/usr/lib/python3/dist-packages/zz-hook.pth',
    `${WORKDIR}/.venv/lib/python3.11/site-packages/sitecustomize.py`,
  ];
  for (const path of places) {
    it(`fires high when package code writes ${path}`, () => {
      const b = new BehaviorBuilder();
      b.write(b.lifecycle('node x.js'), path);
      const [f] = fired(run(b), 'persistence');
      expect(f?.severity).toBe('high');
      expect(f?.evidence[0]?.kind).toBe('file');
    });
  }

  it('counts a refused write (intent) and a rename onto ~/.bashrc', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('node x.js');
    b.write(sh, '/etc/cron.d/x', { result: 'EACCES' });
    b.file(sh, 'rename', '/tmp/rc', { target: `${HOME}/.bashrc` });
    const [f] = fired(run(b), 'persistence');
    expect(f?.evidence).toHaveLength(2);
    expect(f?.evidence[0]?.summary).toContain('failed: EACCES');
  });

  it('fires from the end-of-phase file diff (no pid) and from crontab/systemctl commands', () => {
    const b = new BehaviorBuilder();
    b.behavior.fileChanges.push({ phase: 'install', path: `${HOME}/.bashrc`, kind: 'changed' });
    const sh = b.lifecycle('(crontab -l; echo "@reboot /tmp/x") | crontab -');
    b.child(sh, ['crontab', '-']);
    b.child(sh, ['systemctl', '--user', 'enable', 'updater.service']);
    const [f] = fired(run(b), 'persistence');
    expect(f?.evidence.map((e) => e.kind)).toEqual(['fileChange', 'process', 'process']);
  });

  it('ignores reads of rc files, housekeeping writes, pip-installed .pth files and crontab -l', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('bash -c "source ~/.bashrc; crontab -l"');
    b.read(sh, `${HOME}/.bashrc`);
    b.read(sh, `${HOME}/.ssh/authorized_keys.example`);
    b.child(sh, ['crontab', '-l']);
    b.write(sh, `${PKG_DIR}/.profile`);
    b.write(b.npm(), `${HOME}/.config/systemd/user/x.service`);
    b.behavior.fileChanges.push({ phase: 'install', path: `${WORKDIR}/.venv/lib/python3.11/site-packages/distutils-precedence.pth`, kind: 'added' });
    expect(fired(run(b), 'persistence')).toEqual([]);
  });
});
