import { describe, expect, it } from 'vitest';
import { SubmitAnalysisBody } from './requests.js';

describe('SubmitAnalysisBody names', () => {
  it.each(['left-pad', '@types/node', 'JSONStream', 'Base64', 'lodash.merge'])('accepts the registry name %s', (name) => {
    expect(SubmitAnalysisBody.safeParse({ ecosystem: 'npm', name, version: '1.0.0' }).success).toBe(true);
  });

  it.each(['../../etc/passwd', 'a b', 'Left_Pad!', '.hidden', '@scope/../x', 'x\u0000'])('refuses %j', (name) => {
    const result = SubmitAnalysisBody.safeParse({ ecosystem: 'npm', name, version: '1.0.0' });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe('not a valid npm package name');
  });
});
