import { EventStreamParser } from '../../src/model/event-stream';

describe('Server-Sent Events parser', () => {
  it('parses events split anywhere across chunks', () => {
    const text = 'event: stage\ndata: {"a":1}\n\n: keep-alive\n\ndata: plain\r\n\r\nevent: end\ndata: x\ndata: y\nid: 7\n\n';
    for (const size of [1, 2, 5, text.length]) {
      const parser = new EventStreamParser();
      const events = [];
      for (let i = 0; i < text.length; i += size) events.push(...parser.push(text.slice(i, i + size)));
      expect(events).toEqual([
        { event: 'stage', data: '{"a":1}' },
        { event: 'message', data: 'plain' },
        { event: 'end', data: 'x\ny', id: '7' },
      ]);
    }
  });

  it('holds an event back until its blank line', () => {
    const parser = new EventStreamParser();
    expect(parser.push('event: a\ndata: 1\n')).toEqual([]);
    expect(parser.push('\n')).toEqual([{ event: 'a', data: '1' }]);
  });
});
