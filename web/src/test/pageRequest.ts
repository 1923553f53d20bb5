// A browser resolves a relative URL such as `/v1/health` against the page; Node's Request
// (which jsdom tests use) does not, so resolve it against jsdom's location here. Its own
// module, imported first by setup.ts, so it runs before any API client is created.
const NodeRequest = globalThis.Request;
class PageRequest extends NodeRequest {
  constructor(input: RequestInfo | URL, init?: RequestInit) {
    super(typeof input === 'string' ? new URL(input, window.location.href) : input, init);
  }
}
globalThis.Request = PageRequest;
