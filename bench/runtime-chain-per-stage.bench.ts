// Suite (b): the chain of suite (a) with one extension group (worker thread) per stage: every hop
// crosses threads. Target: ≥ 8× Node-RED (which runs the chain on one thread; issue 14).
import { chainSuite } from './lib/chain-suite';

await chainSuite('runtime-chain-per-stage', true, 8);
process.exit(0);
