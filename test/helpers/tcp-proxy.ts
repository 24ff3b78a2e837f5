// A loopback TCP proxy in front of host:port, to simulate a server dying and coming back without
// touching the real server (other suites share it). `stop()` closes the listener and destroys every
// open connection on both sides, as a crashed server would; `start()` listens again on the same
// port, so clients configured with the proxy's URL reconnect to it by themselves.
import net from 'node:net';

export interface TcpProxy {
  readonly host: string;
  readonly port: number;
  /** True while the proxy accepts connections. */
  readonly running: boolean;
  /** Connections accepted so far (all time). */
  readonly accepted: number;
  /** Connections open right now. */
  readonly open: number;
  /** `url` with its host and port replaced by the proxy's (user, path and query kept). */
  rewrite(url: string): string;
  start(): Promise<void>;
  stop(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }, listenPort = 0): Promise<TcpProxy> {
  const host = '127.0.0.1';
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  let server: net.Server | null = null;
  let port = listenPort;
  let accepted = 0;

  const onConnection = (client: net.Socket) => {
    accepted++;
    const upstream = net.connect({ host: target.host, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      if (!pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = net.createServer(onConnection);
      s.once('error', reject);
      s.listen({ host, port, exclusive: true }, () => {
        s.off('error', reject);
        port = (s.address() as net.AddressInfo).port;
        server = s;
        resolve();
      });
    });

  const stop = async () => {
    const s = server;
    server = null;
    // Destroy first: server.close() waits for open connections otherwise.
    for (const pair of [...pairs]) {
      pairs.delete(pair);
      pair.client.destroy();
      pair.upstream.destroy();
    }
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    host,
    get port() {
      return port;
    },
    get running() {
      return server !== null;
    },
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    rewrite(url: string) {
      const u = new URL(url);
      u.hostname = host;
      u.port = String(port);
      return u.toString();
    },
    async start() {
      if (server) return;
      // The port was just released; a TIME_WAIT socket never blocks a listener on Linux, but retry briefly anyway.
      for (let i = 0; ; i++) {
        try {
          return await listen();
        } catch (error) {
          if (i >= 20 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
    stop,
    close: stop,
  };
}

/** host and port of a postgres:// or redis:// URL. */
export function targetOf(url: string): { host: string; port: number } {
  const u = new URL(url);
  const defaults: Record<string, number> = { 'postgres:': 5432, 'postgresql:': 5432, 'redis:': 6379 };
  return { host: u.hostname || '127.0.0.1', port: Number(u.port || defaults[u.protocol] || 0) };
}
