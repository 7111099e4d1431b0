export { generateCanaries, type Canaries, type CanaryFile, type PlantedCanary, type GenerateCanariesOptions, type ValidCredentials } from './generate.js';
export { awsAccountOf, hasValidChecksum, TELLTALE } from './formats.js';
export { detectLeaks, type DetectOptions } from './detect.js';
export { needlesFor, base64Variants, searchableForm, type Needle } from './encodings.js';
export { buildCorpus, decompressed } from './corpus.js';
export { detectMachineLeaks, identityCanaries, type IdentityCanary, type IdentitySource, type MachineLeakInput } from './identity.js';
export { detectEnvironmentLeaks, environmentNames } from './environment.js';
