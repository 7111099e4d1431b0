import type { FileChange } from '@vetbox/contracts';
import { describe, expect, it } from 'vitest';
import { HOME, PKG_DIR, WORKDIR } from './__fixtures__/builder.js';
import { contentSelector } from './capture.js';

const change = (path: string, extra: Partial<FileChange> = {}): FileChange => ({ phase: 'install', path, kind: 'added', ...extra });

describe('contentSelector', () => {
  const select = contentSelector({ home: HOME, workdir: WORKDIR, packageDirs: [PKG_DIR] });

  it('captures persistence entries, git hooks, and scripts or executables dropped outside the install', () => {
    const picked = select([
      change(`${HOME}/.bashrc`, { kind: 'changed' }),
      change('/var/spool/cron/crontabs/vb-u7x2'),
      change(`${WORKDIR}/.git/hooks/pre-commit`),
      change(`${HOME}/.local/lib/python3.11/site-packages/zz.pth`),
      change('/tmp/.x', { executable: true }),
      change(`${HOME}/.config/update.py`),
    ]);
    expect(picked.map((p) => p.reason)).toEqual(['persistence', 'persistence', 'persistence', 'persistence', 'executable', 'script']);
  });

  it('leaves the installed packages, caches, pip console scripts, deletions and plain data alone', () => {
    const picked = select([
      change(`${PKG_DIR}/bin/cli.js`, { executable: true }),
      change(`${WORKDIR}/node_modules/.bin/x`, { executable: true }),
      change(`${HOME}/.npm/_cacache/index`),
      change(`${HOME}/.local/bin/tool`, { executable: true }),
      change(`${HOME}/.local/lib/python3.11/site-packages/pkg/mod.py`),
      change('/tmp/gone.sh', { kind: 'deleted' }),
      change('/tmp/data.json'),
    ]);
    expect(picked).toEqual([]);
  });
});
