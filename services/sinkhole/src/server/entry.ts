// Bundle entry point of the listeners (see main.ts); the launcher starts them.
import { main } from './main.js';

main(process.argv.slice(2));
