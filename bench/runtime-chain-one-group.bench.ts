// Suite (a): source → 8 forwarders → sink, 64-byte data, all in one extension group (synchronous
// same-group delivery), against Node-RED 4 on the same chain. Target: ≥ 10× Node-RED.
import { chainSuite } from './lib/chain-suite';

await chainSuite('runtime-chain-one-group', false, 10);
process.exit(0);
