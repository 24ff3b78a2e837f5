// Time and ids are injected so that tests are deterministic (DESIGN: "Rules every change keeps").
import { randomUUID } from 'node:crypto';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface IdGenerator {
  newId(): string;
}
export const uuidIds: IdGenerator = { newId: () => randomUUID() };
