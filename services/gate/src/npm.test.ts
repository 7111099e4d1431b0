import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { GateDecision } from './decide.js';
import { abbreviateManifest, listNpmVersions, recomputeDistTags, renderPackument, wantsAbbreviated, type NpmPackument, type RenderPackumentOptions } from './npm.js';

// The full packument of `ms` as registry.npmjs.org served it (December 2026): stable releases,
// betas, canaries and nightlies.
const MS = JSON.parse(readFileSync(new URL('./__fixtures__/ms.packument.json', import.meta.url), 'utf8')) as NpmPackument;

const served = (sha = 'a'.repeat(64)): GateDecision => ({ state: 'allowed', served: true, reason: 'allowed: analyzed benign', sha256: sha, shouldQueue: false });
const held = (state: GateDecision['state'], reason: string): GateDecision => ({ state, served: false, reason, shouldQueue: false });

function options(decided: Record<string, GateDecision>, abbreviated: boolean): RenderPackumentOptions {
  const decisions = new Map(Object.keys(MS.versions!).map((v) => [v, decided[v] ?? held('unvetted', 'held: not analyzed yet')]));
  return {
    abbreviated,
    decisions,
    tarballUrl: (version) => `http://gate.test/registry/npm/ms/-/ms-${version}.tgz`,
    whyUrl: (version) => `http://gate.test/registry/why/npm/ms/${version}`,
    upstreamBase: 'https://registry.npmjs.org',
    gateBase: 'http://gate.test/registry/npm',
  };
}

describe('renderPackument', () => {
  const decided = { '2.1.1': served(), '2.1.2': served(), '2.1.3': held('malicious', 'malicious: posts ~/.npmrc to upload.example') };

  it('lists only served versions, moves latest to the newest served one, and keeps integrity as signed', () => {
    const doc = renderPackument(MS, options(decided, true)) as { versions: Record<string, { dist: Record<string, string>; scripts?: unknown }>; 'dist-tags': Record<string, string> };
    expect(Object.keys(doc.versions).sort()).toEqual(['2.1.1', '2.1.2']);
    expect(doc['dist-tags']).toEqual({ latest: '2.1.2' });
    expect(doc.versions['2.1.2']!.dist.tarball).toBe('http://gate.test/registry/npm/ms/-/ms-2.1.2.tgz');
    expect(doc.versions['2.1.2']!.dist.integrity).toBe((MS.versions!['2.1.2']!.dist as Record<string, string>).integrity);
    expect(doc.versions['2.1.2']!.dist.shasum).toBe((MS.versions!['2.1.2']!.dist as Record<string, string>).shasum);
    // Abbreviated: no scripts, readme or time.
    expect(doc.versions['2.1.2']!.scripts).toBeUndefined();
    expect(doc).not.toHaveProperty('time');
  });

  it('puts every other version under policyRestrictions with one message naming each reason and link', () => {
    const doc = renderPackument(MS, options(decided, true)) as { policyRestrictions: { message: string; versions: Record<string, { dist: { tarball: string } }> } };
    const restricted = Object.keys(doc.policyRestrictions.versions);
    expect(restricted).toContain('2.1.3');
    expect(restricted).not.toContain('2.1.2');
    expect(restricted.length + 2).toBe(Object.keys(MS.versions!).length);
    expect(doc.policyRestrictions.versions['2.1.3']!.dist.tarball).toBe('http://gate.test/registry/npm/ms/-/ms-2.1.3.tgz');
    const message = doc.policyRestrictions.message;
    expect(message).toContain('ms@2.1.3 malicious: posts ~/.npmrc to upload.example — http://gate.test/registry/why/npm/ms/2.1.3');
    // The never-analyzed ones share one line, capped, with how to queue them.
    expect(message.split('\n')).toHaveLength(3);
    expect(message).toMatch(/not analyzed yet: 4\.0\.0-nightly\.202508271359, .*, … \(\d+ in all\); downloading one, or opening http:\/\/gate\.test\/registry\/why\/npm\/ms\/<version>, queues its analysis/);
  });

  it('the full form keeps the other fields and drops hidden versions from time', () => {
    const doc = renderPackument(MS, options(decided, false)) as { time: Record<string, string>; versions: Record<string, { scripts?: unknown }>; _id: string };
    expect(Object.keys(doc.time).filter((k) => k !== 'created' && k !== 'modified').sort()).toEqual(['2.1.1', '2.1.2']);
    expect(doc.versions['2.1.2']!.scripts).toBeDefined();
    expect(doc._id).toBe('ms');
  });

  it('nothing served: no dist-tags, every version restricted (npm then fails with E403 and the message)', () => {
    const doc = renderPackument(MS, options({}, true)) as { versions: object; 'dist-tags': object; policyRestrictions: { versions: object } };
    expect(doc.versions).toEqual({});
    expect(doc['dist-tags']).toEqual({});
    expect(Object.keys(doc.policyRestrictions.versions).length).toBe(Object.keys(MS.versions!).length);
  });
});

describe('dist-tags and abbreviation', () => {
  it('a tag on a hidden version moves to the newest served version at or below it', () => {
    expect(recomputeDistTags({ latest: '2.0.0', next: '3.0.0-rc.2', old: '0.9.0' }, ['1.0.0', '1.5.0', '3.0.0-rc.1', '2.1.0'])).toEqual({
      latest: '1.5.0',
      next: '3.0.0-rc.1',
    });
    // latest with nothing below it falls back to the newest served stable release.
    expect(recomputeDistTags({ latest: '0.1.0' }, ['1.0.0', '2.0.0-beta.1'])).toEqual({ latest: '1.0.0' });
  });

  it('keeps what npm install needs and marks install scripts', () => {
    const m = abbreviateManifest({ name: 'x', version: '1.0.0', scripts: { postinstall: 'node a.js', test: 'x' }, readme: 'long', dependencies: { a: '1' }, dist: { tarball: 't' } });
    expect(m).toEqual({ name: 'x', version: '1.0.0', dependencies: { a: '1' }, dist: { tarball: 't' }, hasInstallScript: true });
  });

  it('negotiates the abbreviated form as npm asks for it', () => {
    expect(wantsAbbreviated('application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8, */*')).toBe(true);
    expect(wantsAbbreviated('application/json')).toBe(false);
    expect(wantsAbbreviated('application/vnd.npm.install-v1+json;q=0, application/json')).toBe(false);
  });

  it('lists versions with their publish times and prerelease flags', () => {
    const listed = listNpmVersions(MS);
    expect(listed.find((v) => v.version === '2.1.3')).toEqual({ version: '2.1.3', publishedAt: new Date('2024-02-23T22:24:14.754Z'), prerelease: false });
    expect(listed.find((v) => v.version === '3.0.0-beta.2')?.prerelease).toBe(true);
  });
});
