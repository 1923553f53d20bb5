/**
 * A Server-Sent Events reader for streams fetched with POST (EventSource can only GET).
 *
 * It follows the WHATWG "event stream interpretation" rules: lines end with CRLF, LF or CR;
 * a blank line dispatches the event; `event:` names it (`message` by default); `data:` lines
 * are joined with newlines; one space after the colon is dropped; lines starting with a colon
 * are comments (the server's keep-alives); an event with no data is not dispatched; and an
 * incomplete event at the end of the stream is dropped.
 */

export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  event: string;
  /** The `data:` lines, joined with `\n`. */
  data: string;
  /** The last `id:` seen, or null. */
  id: string | null;
}

/** Feeds text in, any chunking, and gets whole events out. */
export class SseParser {
  private buffer = '';
  /** A chunk ended with CR: a LF at the start of the next one belongs to the same line end. */
  private skipLeadingLf = false;
  private eventName = '';
  private dataLines: string[] = [];
  private hasData = false;
  private lastId: string | null = null;

  /** Adds a chunk of decoded text; answers the events it completed. */
  push(chunk: string): SseEvent[] {
    let text = chunk;
    if (this.skipLeadingLf && text.startsWith('\n')) text = text.slice(1);
    this.skipLeadingLf = false;
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (let index = 0; index < this.buffer.length; index++) {
      const char = this.buffer[index];
      if (char !== '\n' && char !== '\r') continue;
      const line = this.buffer.slice(start, index);
      if (char === '\r') {
        if (index + 1 < this.buffer.length) {
          if (this.buffer[index + 1] === '\n') index++;
        } else {
          this.skipLeadingLf = true;
        }
      }
      start = index + 1;
      const event = this.line(line);
      if (event) events.push(event);
    }
    this.buffer = this.buffer.slice(start);
    return events;
  }

  /** The stream ended: an event without its blank line is incomplete and dropped. */
  finish(): SseEvent[] {
    this.buffer = '';
    this.resetEvent();
    return [];
  }

  private resetEvent() {
    this.eventName = '';
    this.dataLines = [];
    this.hasData = false;
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      const event = this.hasData
        ? { event: this.eventName || 'message', data: this.dataLines.join('\n'), id: this.lastId }
        : null;
      this.resetEvent();
      return event;
    }
    if (line.startsWith(':')) return null;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.eventName = value;
        break;
      case 'data':
        this.dataLines.push(value);
        this.hasData = true;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastId = value;
        break;
      default:
        // `retry` and unknown fields mean nothing to a fetched stream.
        break;
    }
    return null;
  }
}

/**
 * The events of a response body, as they arrive. Cancelling (breaking out of the loop, or
 * the fetch's AbortSignal) releases the body.
 */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<SseEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        yield* parser.push(decoder.decode());
        yield* parser.finish();
        return;
      }
      yield* parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
