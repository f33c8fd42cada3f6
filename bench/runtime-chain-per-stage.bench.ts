// Suite (b): the chain of suite (a) with one extension group (worker thread) per stage: every hop
// crosses threads. Target: ≥ 3× Node-RED (which runs the chain on one thread).
import { chainSuite } from './lib/chain-suite';

await chainSuite('runtime-chain-per-stage', true, 3);
process.exit(0);
