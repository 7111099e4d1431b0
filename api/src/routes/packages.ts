import { Router } from 'express';
import { Ecosystem, NPM_NAME_RE, PYPI_NAME_RE, VERSION_RE } from '@vetbox/contracts';
import { latestReportFor, packageVersions } from '@vetbox/store';
import { requireRole } from '../auth.js';
import { notFound } from '../http-problem.js';
import type { ApiServices } from '../services.js';
import { parseOrThrow } from '../validate.js';
import { VetboxError } from '@vetbox/contracts';

/**
 * GET /v1/packages/{ecosystem}/{name}            versions analyzed, with verdicts
 * GET /v1/packages/{ecosystem}/{name}/{version}  the latest report of that version
 * Scoped npm names may come encoded (`@scope%2Fname`) or as two segments (`@scope/name`).
 */
export function packagesRoutes(s: ApiServices): Router {
  const router = Router();
  router.get('/v1/packages/:ecosystem/*rest', requireRole('read'), async (req, res) => {
    const ecosystem = parseOrThrow(Ecosystem, req.params.ecosystem, 'ecosystem');
    const { name, version } = splitNameVersion((req.params as unknown as { rest: string[] }).rest);
    const nameOk = (ecosystem === 'npm' ? NPM_NAME_RE : PYPI_NAME_RE).test(name) && name.length <= 214;
    if (!nameOk) throw new VetboxError('INVALID_INPUT', `invalid path: name: not a valid ${ecosystem} package name`);
    if (version !== undefined) {
      if (!VERSION_RE.test(version) || version.length > 128) throw new VetboxError('INVALID_INPUT', 'invalid path: version: not a valid version string');
      const latest = await latestReportFor(s.prisma, ecosystem, name, version);
      if (!latest) throw notFound(`no completed analysis of ${ecosystem} ${name}@${version}`);
      res.setHeader('Content-Location', `/v1/analyses/${latest.analysisId}/report`);
      res.json(latest.report);
      return;
    }
    const versions = await packageVersions(s.prisma, ecosystem, name);
    if (!versions) throw notFound(`${ecosystem} package ${name} has never been analyzed`);
    res.json(versions);
  });
  return router;
}

function splitNameVersion(segments: string[]): { name: string; version?: string } {
  const parts = segments.flatMap((seg) => seg.split('/')).filter((p) => p !== '');
  const nameParts = parts[0]?.startsWith('@') ? 2 : 1;
  if (parts.length < nameParts || parts.length > nameParts + 1) {
    throw new VetboxError('INVALID_INPUT', 'invalid path: expected /v1/packages/{ecosystem}/{name}[/{version}]');
  }
  return { name: parts.slice(0, nameParts).join('/'), version: parts[nameParts] };
}
