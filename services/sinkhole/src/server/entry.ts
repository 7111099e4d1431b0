// Bundle entry point: the sinkhole container runs this file (see main.ts).
import { main } from './main.js';

main(process.argv.slice(2));
