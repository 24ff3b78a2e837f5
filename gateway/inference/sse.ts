// Server-sent events from an OpenAI-compatible stream, split on event boundaries so that each
// event can be passed through byte-for-byte, or inspected (usage) and rewritten (cost_usd).
export class SseSplitter {
  private pending = '';

  /** The complete events in this chunk (each with its trailing blank line), keeping the rest. */
  push(chunk: string): string[] {
    this.pending += chunk;
    const events: string[] = [];
    let boundary = this.pending.indexOf('\n\n');
    while (boundary !== -1) {
      events.push(this.pending.slice(0, boundary + 2));
      this.pending = this.pending.slice(boundary + 2);
      boundary = this.pending.indexOf('\n\n');
    }
    return events;
  }

  /** Whatever was left without a closing blank line. */
  rest(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }
}

export interface StreamUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens?: number;
  [key: string]: unknown;
}

/** The usage object of an event, if it carries one (cheap test before any parsing). */
export function usageOf(event: string): { usage: StreamUsage; payload: Record<string, unknown> } | null {
  if (!event.includes('"usage"')) return null;
  const data = event.split('\n').find((line) => line.startsWith('data:'));
  if (!data) return null;
  try {
    const payload = JSON.parse(data.slice(5).trim()) as Record<string, unknown>;
    const usage = payload.usage as StreamUsage | null | undefined;
    return usage && typeof usage.completion_tokens === 'number' ? { usage, payload } : null;
  } catch {
    return null;
  }
}

/** True for the usage-only chunk OpenAI sends last when include_usage is set (empty choices). */
export function isUsageOnly(payload: Record<string, unknown>): boolean {
  return Array.isArray(payload.choices) && payload.choices.length === 0;
}
