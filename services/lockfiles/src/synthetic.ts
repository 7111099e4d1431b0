/**
 * Synthetic lockfiles for benchmarks and tests (bench:batch needs a 5,000-entry one).
 * Names are `<prefix>-<i>`: they are not meant to exist on any registry.
 */
export interface SyntheticOptions {
  /** Package name prefix, default `vetbox-bench`. */
  prefix?: string;
  /** Every n-th package is nested (`node_modules/a/node_modules/@scope/b`), default 3; 0 for none. */
  nestEvery?: number;
}

/** A package-lock.json v3 with `count` distinct package versions, shaped like npm writes it. */
export function syntheticPackageLock(count: number, options: SyntheticOptions = {}): string {
  const prefix = options.prefix ?? 'vetbox-bench';
  const nestEvery = options.nestEvery ?? 3;
  const packages: Record<string, unknown> = { '': { name: `${prefix}-root`, version: '1.0.0' } };
  for (let i = 0; i < count; i++) {
    const nested = nestEvery > 0 && i % nestEvery === 0;
    const path = nested ? `node_modules/${prefix}-parent-${i}/node_modules/@${prefix}/pkg-${i}` : `node_modules/${prefix}-${i}`;
    packages[path] = {
      version: `1.${i % 50}.${i}`,
      integrity: `sha512-${'A'.repeat(86)}==`,
      license: 'MIT',
      dependencies: { [`${prefix}-dep`]: '^1.0.0' },
    };
  }
  return `${JSON.stringify({ name: `${prefix}-root`, version: '1.0.0', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`;
}

/** A hash-pinned requirements.txt with `count` distinct packages. */
export function syntheticRequirements(count: number, options: Pick<SyntheticOptions, 'prefix'> = {}): string {
  const prefix = options.prefix ?? 'vetbox-bench';
  let text = '';
  for (let i = 0; i < count; i++) text += `${prefix}-${i}==1.${i % 50}.${i} \\\n    --hash=sha256:${'a'.repeat(64)}\n`;
  return text;
}
