// jsdom, plus Node's own fetch and the stream and abort classes it works with, so the code under
// test reaches the real Berth gateway over HTTP exactly as it would in a browser (jsdom has no
// fetch, and Node's fetch rejects jsdom's AbortSignal), and the DragEvent Lumino needs.
const { TestEnvironment } = require('jest-environment-jsdom');

class JsdomWithFetch extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const node = { fetch, Headers, Request, Response, ReadableStream, TextDecoder, TextEncoder, AbortController, AbortSignal };
    Object.assign(this.global, node);
    // jsdom has no DragEvent, and @lumino/dragdrop (under @lumino/widgets) subclasses it on load.
    if (typeof this.global.DragEvent === 'undefined') {
      const MouseEvent = this.global.MouseEvent;
      this.global.DragEvent = class DragEvent extends MouseEvent {
        constructor(type, init = {}) {
          super(type, init);
          this.dataTransfer = init.dataTransfer ?? null;
        }
      };
    }
  }
}

module.exports = JsdomWithFetch;
