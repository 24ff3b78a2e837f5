// Server-sent events from an OpenAI-compatible stream, split on event boundaries so that each
// event can be passed through byte-for-byte, or inspected (content, usage) and rewritten. Events
// may be framed with LF, CRLF or CR line ends, as the SSE format allows.
const BOUNDARY = /\r\n\r\n|\n\n|\r\r/g;
const LINE = /\r\n|\n|\r/;

export class SseSplitter {
  private pending = '';

  /** The complete events in this chunk (each with its trailing blank line), keeping the rest. */
  push(chunk: string): string[] {
    this.pending += chunk;
    const events: string[] = [];
    let start = 0;
    BOUNDARY.lastIndex = 0;
    for (let match = BOUNDARY.exec(this.pending); match; match = BOUNDARY.exec(this.pending)) {
      const end = match.index + match[0].length;
      events.push(this.pending.slice(start, end));
      start = end;
    }
    if (start > 0) this.pending = this.pending.slice(start);
    return events;
  }

  /** Whatever was left without a closing blank line. */
  rest(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }
}

/** The data of an event (its `data:` lines joined), or null for comments and events without data. */
export function dataOf(event: string): string | null {
  let data: string | null = null;
  for (const line of event.split(LINE)) {
    if (!line.startsWith('data:')) continue;
    const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
    data = data === null ? value : `${data}\n${value}`;
  }
  return data;
}
