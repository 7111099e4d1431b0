import { z } from 'zod';

export const Ecosystem = z.enum(['npm', 'pypi']);
export type Ecosystem = z.infer<typeof Ecosystem>;

export const Verdict = z.enum(['malicious', 'suspicious', 'benign', 'error']);
export type Verdict = z.infer<typeof Verdict>;

/** Ordered from most to least severe; index order is relied upon for sorting. */
export const Severity = z.enum(['critical', 'high', 'medium', 'low', 'info']);
export type Severity = z.infer<typeof Severity>;
export const SEVERITY_ORDER: readonly Severity[] = Severity.options;

/**
 * Phases run in this order; a phase that does not complete still lets later ones try.
 * install → import → execute (every export and bin called) → idle (a fast clock for what still
 * runs, then install and import again a year ahead) → next-login (what the package planted runs).
 * See docs/seams.md.
 */
export const PhaseName = z.enum(['install', 'import', 'execute', 'idle', 'next-login']);
export type PhaseName = z.infer<typeof PhaseName>;
export const PHASES: readonly PhaseName[] = PhaseName.options;
/** What an analysis runs when the request names no phases. */
export const DEFAULT_PHASES: readonly PhaseName[] = ['install', 'import'];

/** Same vocabulary as ossf/package-analysis: package misbehaviour is data, not an exception. */
export const PhaseStatus = z.enum(['completed', 'error_timeout', 'error_analysis', 'error_other']);
export type PhaseStatus = z.infer<typeof PhaseStatus>;

/** `stat`: existence/metadata probes (stat, access, readlink) that open nothing. */
export const FileOp = z.enum(['read', 'write', 'create', 'delete', 'rename', 'chmod', 'exec', 'mkdir', 'stat']);
export type FileOp = z.infer<typeof FileOp>;

export const FileChangeKind = z.enum(['added', 'changed', 'deleted']);
export type FileChangeKind = z.infer<typeof FileChangeKind>;

export const ArtifactSource = z.enum(['registry', 'upload']);
export type ArtifactSource = z.infer<typeof ArtifactSource>;

export const AnalysisStatus = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);
export type AnalysisStatus = z.infer<typeof AnalysisStatus>;

/** Pipeline stages, in order, as published in progress events. */
export const Stage = z.enum(['queued', 'fetch', ...PhaseName.options, 'parse', 'rules', 'store', 'done']);
export type Stage = z.infer<typeof Stage>;

export const ApiRole = z.enum(['read', 'submit', 'admin']);
export type ApiRole = z.infer<typeof ApiRole>;

export const CanaryKind = z.enum([
  'env-aws',
  'env-npm',
  'env-github',
  'env-pypi',
  'npmrc',
  'pypirc',
  'aws-credentials',
  'ssh-key',
  'git-credentials',
  'gh-hosts',
  'dotenv',
  'browser-cookies',
  // The persona's own values (hostname, user, paths, machine id, addresses, ...): `planted` names which.
  'identity',
  // Most of the process environment, sent whole: `planted` is "process environment".
  'environment',
]);
export type CanaryKind = z.infer<typeof CanaryKind>;

export const CanaryEncoding = z.enum(['plain', 'base64', 'base64url', 'base32', 'hex', 'url', 'json', 'reversed', 'gzip', 'dns-labels']);
export type CanaryEncoding = z.infer<typeof CanaryEncoding>;
