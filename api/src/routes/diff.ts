import { Router } from 'express';
import { DiffQuery, type AnalysisDiff } from '@vetbox/contracts';
import { diffReports } from '@vetbox/diff';
import { getAnalysis, getReport, type AnalysisWithArtifact } from '@vetbox/store';
import { requireRole } from '../auth.js';
import { HttpProblem, notFound } from '../http-problem.js';
import { previousAnalyzed } from '../previous.js';
import type { ApiServices } from '../services.js';
import { parseOrThrow } from '../validate.js';

const label = (a: AnalysisWithArtifact) => `${a.artifact.package.ecosystem}:${a.artifact.package.name}@${a.artifact.version}`;

function mustBeCompleted(a: AnalysisWithArtifact, role: 'target' | 'base'): void {
  if (a.status !== 'completed') {
    throw new HttpProblem(409, 'CONFLICT', `${role} analysis ${a.id} (${label(a)}) is ${a.status}; a diff needs two completed analyses`);
  }
}

/**
 * GET /v1/analyses/{id}/diff?against=<analysisId>|previous — what the analysis in the path does
 * that `against` did not (added) and what it stopped doing (removed), per @vetbox/diff.
 */
export function diffRoutes(s: ApiServices): Router {
  const router = Router();
  router.get('/v1/analyses/:id/diff', requireRole('read'), async (req, res) => {
    const { against } = parseOrThrow(DiffQuery, req.query, 'query');
    const id = req.params.id as string;
    const target = await getAnalysis(s.prisma, id);
    if (!target) throw notFound(`no analysis ${id}`);
    mustBeCompleted(target, 'target');
    const { ecosystem, name } = target.artifact.package;

    let base: AnalysisWithArtifact | null;
    if (against.toLowerCase() === 'previous') {
      const found = await previousAnalyzed(s.prisma, ecosystem, name, target.artifact.version, ['completed']);
      if (found.kind === 'unordered') {
        throw new HttpProblem(422, 'NOT_COMPARABLE', `version ${JSON.stringify(target.artifact.version)} of ${ecosystem}:${name} cannot be ordered, so it has no previous version; pass an analysis id as against`);
      }
      if (found.kind === 'none') throw notFound(`no completed analysis of a version of ${ecosystem}:${name} below ${target.artifact.version}`);
      base = found.analysis;
    } else {
      base = await getAnalysis(s.prisma, against);
      if (!base) throw notFound(`no analysis ${against} (against)`);
      if (base.artifact.packageId !== target.artifact.packageId) {
        throw new HttpProblem(422, 'NOT_COMPARABLE', `analyses of different packages cannot be diffed: ${label(base)} and ${label(target)}`);
      }
      mustBeCompleted(base, 'base');
    }

    const [baseReport, targetReport] = await Promise.all([getReport(s.prisma, base.id), getReport(s.prisma, target.id)]);
    // Completed analyses always have a report; a missing one is a storage fault, not the caller's.
    if (!baseReport || !targetReport) throw new Error(`completed analysis without a report (${!baseReport ? base.id : target.id})`);
    const diff = diffReports(baseReport, targetReport);
    const body: AnalysisDiff = {
      package: { ecosystem, name },
      base: { id: base.id, version: base.artifact.version, verdict: base.verdict },
      target: { id: target.id, version: target.artifact.version, verdict: target.verdict },
      added: diff.added,
      removed: diff.removed,
      changes: diff.changes,
      empty: diff.empty,
      ...(diff.uncompared.length > 0 ? { uncompared: diff.uncompared } : {}),
    };
    res.json(body);
  });
  return router;
}
