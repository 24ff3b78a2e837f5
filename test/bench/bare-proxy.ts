// The floor for throughput comparisons: a pass-through proxy with no auth, no routing, no
// metering — it copies each request to the upstream and the answer back.
import http from 'node:http';

const [, , portText, upstream] = process.argv;
const target = new URL(upstream);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });
const server = http.createServer((request, response) => {
  const outgoing = http.request(
    {
      host: target.hostname,
      port: target.port,
      path: `${target.pathname.replace(/\/$/, '')}${request.url!.replace(/^\/v1/, '')}`,
      method: request.method,
      headers: request.headers,
      agent,
    },
    (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(response);
    },
  );
  outgoing.on('error', () => response.writeHead(502).end());
  request.pipe(outgoing);
});
server.listen(Number(portText), '127.0.0.1', () =>
  console.log(`bare proxy ready at http://127.0.0.1:${(server.address() as { port: number }).port}/v1`),
);
