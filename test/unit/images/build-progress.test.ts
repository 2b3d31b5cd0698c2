// The CLI's drawing of image-build events: plain lines when stderr is not a terminal (CI logs keep
// the whole build log), one line redrawn in place with a bar on a terminal.
import { Writable } from 'node:stream';
import { buildProgressPrinter } from '../../../gateway/src/cli/build-progress';
import type { ImageEvent } from '../../../gateway/src/images/image-jobs';

function stream(tty: boolean): NodeJS.WriteStream & { text: () => string } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      text += chunk.toString('utf8');
      callback();
    },
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(out, { isTTY: tty, columns: 60, text: () => text });
  return out;
}

const EVENTS: ImageEvent[] = [
  { type: 'image', index: 1, total: 2, label: 'base', parent: 'berth/os-bookworm:latest', daemon: 'unix:///var/run/docker.sock' },
  { type: 'step', label: 'base', step: 2, total: 4, line: 'Step 2/4 : RUN apt-get update' },
  { type: 'step', label: 'base', step: 2, total: 4, line: 'Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]' },
  { type: 'built', label: 'base', ref: 'berth/base:0123456789ab', id: 'sha256:1', skipped: false, ms: 12_345 },
  { type: 'push', label: 'base', line: 'Pushing 5f70bf18a086' },
  { type: 'pushed', label: 'base', ref: '127.0.0.1:5000/berth/base:latest', digest: 'sha256:abc' },
  { type: 'done', built: 1, skipped: 1, pushed: 1, images: ['berth/base:0123456789ab'] },
];

test('without a terminal every line is printed with its step; results go to stdout', () => {
  const stdout = stream(false);
  const stderr = stream(false);
  const printer = buildProgressPrinter(stdout, stderr);
  for (const event of EVENTS) printer.onEvent(event);
  expect(stderr.text()).toBe(
    '[image 1/2] base on berth/os-bookworm:latest (daemon unix:///var/run/docker.sock)\n' +
      '[base] step 2/4: Step 2/4 : RUN apt-get update\n' +
      '[base] step 2/4: Get:1 http://deb.debian.org/debian bookworm InRelease [151 kB]\n' +
      '[base] push: Pushing 5f70bf18a086\n',
  );
  expect(stdout.text()).toBe(
    'base: berth/base:0123456789ab built in 12.3 s\n' +
      'base: pushed 127.0.0.1:5000/berth/base:latest (sha256:abc)\n' +
      '1 built, 1 skipped (up to date), 1 pushed\n',
  );
});

test('on a terminal the step line is redrawn in place with a bar, cut to the width, and cleared before results', () => {
  const stdout = stream(false);
  const stderr = stream(true);
  const printer = buildProgressPrinter(stdout, stderr);
  for (const event of EVENTS.slice(0, 3)) printer.onEvent(event);
  const drawn = stderr.text().split('\r\x1b[2K');
  expect(drawn[1]).toBe('[base] [##########----------] step 2/4: Step 2/4 : RUN apt…');
  expect(drawn.at(-1)!.length).toBe(59);
  expect(stderr.text()).not.toContain('\n[base]');
  printer.onEvent(EVENTS[3]!);
  expect(stderr.text().endsWith('\r\x1b[2K')).toBe(true);
  printer.finish();
  expect(stderr.text().endsWith('\r\x1b[2K')).toBe(true);
  expect(stdout.text()).toBe('base: berth/base:0123456789ab built in 12.3 s\n');
});
