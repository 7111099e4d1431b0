import { describe, expect, it } from 'vitest';
import { npmHistory, pypiHistory } from './history.js';

describe('publish history', () => {
  it('npm: the full packument `time` (created, or the earliest release) and the version', () => {
    const time = { created: '2014-03-01T10:00:00.000Z', modified: '2026-11-02T00:00:00.000Z', '0.1.0': '2014-03-01T10:00:01.000Z', '3.2.0': '2026-11-01T00:00:00.000Z' };
    expect(npmHistory(time, '3.2.0')).toEqual({ firstPublished: '2014-03-01T10:00:00.000Z', versionPublished: '2026-11-01T00:00:00.000Z' });
    // No `created`: the earliest release; an unknown version and junk values are left out.
    expect(npmHistory({ '1.0.0': '2020-01-01T00:00:00Z', '0.9.0': '2019-05-05T00:00:00Z', bogus: 7 }, '2.0.0')).toEqual({ firstPublished: '2019-05-05T00:00:00.000Z' });
    expect(npmHistory(undefined, '1.0.0')).toEqual({});
  });

  it('PyPI: the earliest upload of any release, and the version’s first upload', () => {
    const releases = {
      '0.1': [{ upload_time_iso_8601: '2012-06-01T08:00:00.000000Z' }],
      '2.0': [{ upload_time_iso_8601: '2026-10-10T00:00:00.000000Z' }, { upload_time_iso_8601: '2026-10-09T00:00:00.000000Z' }],
      '3.0': [],
    };
    expect(pypiHistory(releases, '2.0')).toEqual({ firstPublished: '2012-06-01T08:00:00.000Z', versionPublished: '2026-10-09T00:00:00.000Z' });
    expect(pypiHistory(releases, '3.0')).toEqual({ firstPublished: '2012-06-01T08:00:00.000Z' });
  });
});
