import { describe, expect, it } from 'vitest';
import { readEventStream, SseParser, type SseEvent } from './sse';

/** Feeds `text` to a parser in pieces of `size` characters. */
function parseInPieces(text: string, size: number): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  for (let start = 0; start < text.length; start += size) events.push(...parser.push(text.slice(start, start + size)));
  events.push(...parser.finish());
  return events;
}

const STREAM = [
  'event: run',
  'data: {"run_id":"r1"}',
  '',
  ': keep-alive',
  '',
  'event: delta',
  'data: {"text":"Hel"}',
  '',
  'event: delta',
  'data: {"text":"lo · wörld"}',
  '',
  'event: done',
  'data: {"status":"succeeded"}',
  '',
  '',
].join('\n');

const EXPECTED: SseEvent[] = [
  { event: 'run', data: '{"run_id":"r1"}', id: null },
  { event: 'delta', data: '{"text":"Hel"}', id: null },
  { event: 'delta', data: '{"text":"lo · wörld"}', id: null },
  { event: 'done', data: '{"status":"succeeded"}', id: null },
];

describe('SseParser', () => {
  it('reads named events, skips comments, whatever the chunking', () => {
    for (const size of [1, 2, 3, 7, 16, STREAM.length]) {
      expect(parseInPieces(STREAM, size), `pieces of ${size}`).toEqual(EXPECTED);
    }
  });

  it('accepts CRLF and lone CR line ends, even split between chunks', () => {
    const crlf = STREAM.replaceAll('\n', '\r\n');
    const cr = STREAM.replaceAll('\n', '\r');
    for (const size of [1, 2, 5, 1000]) {
      expect(parseInPieces(crlf, size), `CRLF, pieces of ${size}`).toEqual(EXPECTED);
      expect(parseInPieces(cr, size), `CR, pieces of ${size}`).toEqual(EXPECTED);
    }
  });

  it('joins data lines with newlines, keeps the space after the first, and defaults the name to message', () => {
    const events = parseInPieces('data:one\ndata:  two\ndata\nid: 7\n\n', 4);
    expect(events).toEqual([{ event: 'message', data: 'one\n two\n', id: '7' }]);
  });

  it('dispatches nothing for an event without data, and drops an unfinished last event', () => {
    expect(parseInPieces('event: ping\n\nevent: delta\ndata: {"text":"cut', 3)).toEqual([]);
    expect(parseInPieces('retry: 100\nunknown: x\n\n', 3)).toEqual([]);
  });
});

describe('readEventStream', () => {
  it('decodes UTF-8 split inside a character and yields events as they complete', async () => {
    const bytes = new TextEncoder().encode(STREAM);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // One byte at a time: "·" and "ö" are two bytes each.
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    const events: SseEvent[] = [];
    for await (const event of readEventStream(body)) events.push(event);
    expect(events).toEqual(EXPECTED);
  });

  it('releases the stream when the reader stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const event of readEventStream(body)) {
      expect(event.data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
