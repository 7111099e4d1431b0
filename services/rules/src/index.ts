export { evaluate, evidenceHash, type Evaluation } from './evaluate.js';
export { RULES, ruleInfo, type RuleCategory, type RuleId, type RuleInfo } from './catalog.js';
export {
  buildPopularIndex,
  checkTyposquat,
  checkTyposquatIn,
  normalizeName,
  type PopularIndex,
  type TyposquatMatch,
  type TyposquatTechnique,
} from './typosquat.js';
export { score, SEVERITY_POINTS, VERDICT_BANDS } from './scoring.js';
export { DEFAULT_REGISTRY_HOSTS, type EvaluateInput } from './context.js';
export {
  evaluateNewBehavior,
  withBaseline,
  type BehaviorDiffLike,
  type DiffEntryLike,
  type NewBehaviorOptions,
} from './new-behavior.js';
export { ruleCatalogMarkdown } from './docs.js';
export { CHANNELS, channelOf, type ChannelKind, type ChannelPattern } from './channels.js';
export { knownMaliciousFinding, withKnownMalicious } from './known-malicious.js';
export { errorLine, incompletePhases } from './incomplete.js';
