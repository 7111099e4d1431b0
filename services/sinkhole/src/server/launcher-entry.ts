// Bundle entry point of the sinkhole container's first process (see launcher.ts).
import { main } from './launcher.js';

main(process.argv.slice(2));
