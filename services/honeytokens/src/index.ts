export { generateCanaries, type Canaries, type CanaryFile, type PlantedCanary, type GenerateCanariesOptions } from './generate.js';
export { detectLeaks, type DetectOptions } from './detect.js';
export { needlesFor, base64Variants, searchableForm, type Needle } from './encodings.js';
export { buildCorpus, decompressed } from './corpus.js';
