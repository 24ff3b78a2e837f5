// `tsx gateway/simulator/main.ts [--port N] [--host H]`: the simulated provider as its own process,
// e.g. as a seller's upstream in a local setup or a benchmark target.
import { parseArgs } from 'node:util';
import { startSimulator } from './server';

const { values } = parseArgs({ options: { port: { type: 'string' }, host: { type: 'string' } } });
const port = values.port === undefined ? 0 : Number(values.port);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error('--port must be an integer from 0 to 65535');
  process.exit(2);
}
const simulator = await startSimulator({ port, host: values.host });
console.log(`simulator ready at ${simulator.url}`);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    simulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
