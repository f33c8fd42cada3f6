/**
 * The second app of the cross-app benchmarks, in a Node process of its own (as apps are in a
 * deployment): an App with the built-in and bench addons listening on argv[2]. Whatever its
 * counter_sink posts on the BroadcastChannel argv[3] is passed to the parent over IPC. It exits
 * when the parent disconnects or sends 'close'.
 */
import { BroadcastChannel } from 'node:worker_threads';
import { benchApp } from './runtime-graph';

const [uri, statsChannel] = process.argv.slice(2);
const { app, failures } = benchApp({ property: { ten: { uri: uri! } } });
const channel = new BroadcastChannel(statsChannel!);
channel.onmessage = (event) => process.send?.({ stats: (event as { data: unknown }).data });
await app.listen();
process.send?.({ listening: uri });
const close = async (): Promise<void> => {
  channel.close();
  await app.close();
  const problems = failures();
  process.send?.({ closed: true, problems });
  process.disconnect?.();
};
process.on('message', (m) => {
  if (m === 'close') void close();
  // CPU time of this process (all its threads), for CPU per message.
  if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
});
process.on('disconnect', () => void app.close().then(() => process.exit(0)));
