// Response heads written by the respond stages (the reply is hijacked: fastify writes nothing).
import type { ServerResponse } from 'node:http';

export function writeHead(raw: ServerResponse, status: number, headers: Record<string, string | number>): void {
  raw.writeHead(status, headers);
  raw.socket?.setNoDelay(true);
}

export const usd = (micros: number): number => micros / 1_000_000;
