/**
 * The far end of the raw TCP baseline, in a Node process of its own: a TCP server on 127.0.0.1
 * (port sent to the parent over IPC) with TCP_NODELAY. Mode `echo` writes every chunk back (round
 * trips); mode `count` counts bytes and, each time `expect` more have arrived, writes back one
 * byte-count line with its wall clock (throughput).
 */
import { createServer } from 'node:net';

const mode = process.argv[2];
const server = createServer({ noDelay: true }, (s) => {
  s.setNoDelay(true);
  if (mode === 'echo') {
    s.on('data', (c) => s.write(c));
    return;
  }
  let expect = 0;
  let seen = 0;
  let pending = '';
  s.on('data', (c) => {
    if (expect === 0) {
      // The first line says how many bytes make a round.
      pending += c.toString('latin1');
      const nl = pending.indexOf('\n');
      if (nl === -1) return;
      expect = Number(pending.slice(0, nl));
      seen = pending.length - nl - 1;
      pending = '';
    } else seen += c.length;
    while (seen >= expect) {
      seen -= expect;
      s.write(`${performance.timeOrigin + performance.now()}\n`);
    }
  });
});
server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as { port: number }).port }));
process.on('disconnect', () => process.exit(0));
