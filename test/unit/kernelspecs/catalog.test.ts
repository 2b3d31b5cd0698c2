import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { KernelSpecCatalog, standardKernelsDirs } from '../../../gateway/src/kernelspecs/catalog';
import { isResourceFile, renderArgv } from '../../../gateway/src/kernelspecs/kernelspec';
import { NotFoundError } from '../../../gateway/src/common/errors';

let root: string;
let first: string;
let second: string;
let logLines: Record<string, unknown>[];

function logger() {
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      callback();
    },
  });
  return pino({ level: 'debug' }, destination);
}

function writeSpec(dir: string, name: string, spec: unknown, extraFiles: Record<string, string> = {}): string {
  const specDir = join(dir, name);
  mkdirSync(specDir, { recursive: true });
  writeFileSync(join(specDir, 'kernel.json'), typeof spec === 'string' ? spec : JSON.stringify(spec));
  for (const [file, body] of Object.entries(extraFiles)) writeFileSync(join(specDir, file), body);
  return specDir;
}

const spec = (displayName: string, extra: Record<string, unknown> = {}) => ({
  argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
  display_name: displayName,
  language: 'python',
  ...extra,
});

/** Lets pino's stream write (it is asynchronous) before asserting on lines. */
const flush = () => new Promise((resolve) => setImmediate(resolve));

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-catalog-'));
  first = join(root, 'first');
  second = join(root, 'second');
  mkdirSync(first);
  mkdirSync(second);
  logLines = [];
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('KernelSpecCatalog.list', () => {
  it('lets the first folder win for a name and merges the rest', () => {
    writeSpec(first, 'python3', spec('First Python'));
    writeSpec(second, 'python3', spec('Second Python'));
    writeSpec(second, 'julia', { ...spec('Julia'), language: 'julia' });
    const catalog = new KernelSpecCatalog([first, second], 'python3', logger());
    const all = catalog.list();
    expect([...all.keys()].sort()).toEqual(['julia', 'python3']);
    expect(all.get('python3')!.spec.display_name).toBe('First Python');
    expect(all.get('python3')!.resourceDir).toBe(join(first, 'python3'));
    expect(all.get('julia')!.spec.language).toBe('julia');
    // Order of folders matters, not of names.
    expect(new KernelSpecCatalog([second, first], 'python3', logger()).get('python3').spec.display_name).toBe('Second Python');
  });

  it('skips invalid kernel.json files and logs a warning naming the file', async () => {
    const broken = writeSpec(first, 'broken', '{"argv": [');
    const noArgv = writeSpec(first, 'no-argv', { display_name: 'x', language: 'python', argv: [] });
    const badMode = writeSpec(first, 'bad-mode', spec('Bad', { interrupt_mode: 'telepathy' }));
    writeSpec(first, 'good', spec('Good'));
    mkdirSync(join(first, 'not-a-spec')); // no kernel.json: silently ignored
    writeFileSync(join(first, 'stray-file.json'), '{}');
    const catalog = new KernelSpecCatalog([first], 'good', logger());
    expect([...catalog.list().keys()]).toEqual(['good']);
    await flush();
    const warned = logLines.filter((l) => l['level'] === 40).map((l) => l['file']);
    expect(warned.sort()).toEqual([join(badMode, 'kernel.json'), join(broken, 'kernel.json'), join(noArgv, 'kernel.json')].sort());
    expect(logLines.every((l) => typeof l['err'] === 'string' && (l['err'] as string).length > 0)).toBe(true);
  });

  it('works with a silent logger and missing folders', () => {
    writeSpec(second, 'python3', spec('P'));
    const catalog = new KernelSpecCatalog([join(root, 'missing'), second], 'python3', pino({ level: 'silent' }));
    expect([...catalog.list().keys()]).toEqual(['python3']);
  });

  it('fills schema defaults and keeps unknown fields', () => {
    writeSpec(first, 'p', spec('P', { custom_field: 1 }));
    const loaded = new KernelSpecCatalog([first], 'p', logger()).get('p').spec;
    expect(loaded.interrupt_mode).toBe('signal');
    expect(loaded.env).toEqual({});
    expect(loaded.metadata).toEqual({});
    expect((loaded as Record<string, unknown>)['custom_field']).toBe(1);
  });

  it('follows symlinked kernelspec folders', () => {
    const real = writeSpec(root, 'real-spec', spec('Linked'));
    symlinkSync(real, join(first, 'linked'));
    expect(new KernelSpecCatalog([first], 'linked', logger()).get('linked').spec.display_name).toBe('Linked');
  });

  it('sees specs installed after it was created', () => {
    const catalog = new KernelSpecCatalog([first], 'python3', logger());
    expect(catalog.list().size).toBe(0);
    writeSpec(first, 'late', spec('Late'));
    expect(catalog.get('late').spec.display_name).toBe('Late');
  });

  it('lists the resource files, and only those', () => {
    const dir = writeSpec(first, 'python3', spec('P'), {
      'logo-32x32.png': 'png32',
      'logo-64x64.png': 'png64',
      'logo-svg.svg': '<svg/>',
      'kernel.js': '// js',
      'kernel.css': '/* css */',
      'README.md': 'no',
      'install.sh': 'no',
    });
    mkdirSync(join(dir, 'logo-folder'));
    const resolved = new KernelSpecCatalog([first], 'python3', logger()).get('python3');
    expect([...resolved.resourceFiles].sort()).toEqual(['kernel.css', 'kernel.js', 'logo-32x32.png', 'logo-64x64.png', 'logo-svg.svg']);
  });
});

describe('KernelSpecCatalog.get and defaultSpecName', () => {
  it('throws NotFoundError for an unknown name', () => {
    writeSpec(first, 'python3', spec('P'));
    const catalog = new KernelSpecCatalog([first], 'python3', logger());
    expect(() => catalog.get('ruby')).toThrow(NotFoundError);
    expect(() => catalog.get('ruby')).toThrow(/ruby/);
  });

  it('uses the configured default when it exists, else the first spec', () => {
    writeSpec(first, 'b-kernel', spec('B'));
    writeSpec(first, 'a-kernel', spec('A'));
    expect(new KernelSpecCatalog([first], 'b-kernel', logger()).defaultSpecName()).toBe('b-kernel');
    expect(new KernelSpecCatalog([first], 'missing', logger()).defaultSpecName()).toBe('a-kernel');
    expect(new KernelSpecCatalog([second], 'missing', logger()).defaultSpecName()).toBe('missing');
  });
});

describe('KernelSpecCatalog.resourcePath', () => {
  let catalog: KernelSpecCatalog;
  let specDir: string;

  beforeEach(() => {
    specDir = writeSpec(first, 'python3', spec('P'), { 'logo-64x64.png': 'png' });
    writeSpec(first, 'other', spec('O'), { 'logo-64x64.png': 'other-png' });
    writeFileSync(join(root, 'secret.txt'), 'secret');
    catalog = new KernelSpecCatalog([first], 'python3', logger());
  });

  it('returns the absolute path of a listed resource inside the spec folder', () => {
    const path = catalog.resourcePath('python3', 'logo-64x64.png');
    expect(isAbsolute(path)).toBe(true);
    expect(path).toBe(join(specDir, 'logo-64x64.png'));
    expect(relative(specDir, path)).toBe('logo-64x64.png');
  });

  it.each([
    '../other/logo-64x64.png',
    '../../secret.txt',
    'logo-../../../secret.txt',
    '/etc/passwd',
    './logo-64x64.png',
    'logo-64x64.png/',
    'kernel.json',
    'logo-32x32.png',
    '',
  ])('refuses %j with NotFoundError', (fileName) => {
    expect(() => catalog.resourcePath('python3', fileName)).toThrow(NotFoundError);
  });

  it('refuses resources of an unknown spec with NotFoundError', () => {
    expect(() => catalog.resourcePath('nope', 'logo-64x64.png')).toThrow(NotFoundError);
  });
});

describe('renderArgv', () => {
  it('replaces {connection_file} wherever it appears', () => {
    expect(renderArgv(['python', '-f', '{connection_file}', '--file={connection_file}'], { connection_file: '/run/k-1.json' })).toEqual([
      'python',
      '-f',
      '/run/k-1.json',
      '--file=/run/k-1.json',
    ]);
  });

  it('replaces other known fields, several per argument, and keeps unknown ones', () => {
    const argv = ['{resource_dir}/run.sh', '{connection_file}:{connection_file}', '{unknown_field}', '{0}', '{ connection_file }'];
    expect(renderArgv(argv, { connection_file: 'c.json', resource_dir: '/specs/x' })).toEqual([
      '/specs/x/run.sh',
      'c.json:c.json',
      '{unknown_field}',
      '{0}',
      '{ connection_file }',
    ]);
  });

  it('does not interpret replacement patterns in values and leaves the input intact', () => {
    const argv = ['{connection_file}'];
    expect(renderArgv(argv, { connection_file: "/tmp/$&-$1-$'.json" })).toEqual(["/tmp/$&-$1-$'.json"]);
    expect(argv).toEqual(['{connection_file}']);
  });
});

describe('isResourceFile', () => {
  it('accepts logos, kernel.js and kernel.css only', () => {
    expect(['logo-64x64.png', 'logo-svg.svg', 'kernel.js', 'kernel.css'].every(isResourceFile)).toBe(true);
    expect(['kernel.json', 'logo.png', 'README.md', 'kernel.js.map'].some(isResourceFile)).toBe(false);
  });
});

describe('standardKernelsDirs', () => {
  it('orders extra dirs, JUPYTER_PATH, shipped specs, user data, then system folders', () => {
    const dirs = standardKernelsDirs({
      shippedDir: '/opt/berth/kernelspecs',
      extraDirs: ['/extra'],
      env: { JUPYTER_PATH: '/a:/b', JUPYTER_DATA_DIR: '/home/u/.jupyter-data' },
    });
    expect(dirs).toEqual([
      '/extra',
      '/a/kernels',
      '/b/kernels',
      '/opt/berth/kernelspecs',
      '/home/u/.jupyter-data/kernels',
      '/usr/local/share/jupyter/kernels',
      '/usr/share/jupyter/kernels',
    ]);
    expect(standardKernelsDirs({ shippedDir: '/s', env: { XDG_DATA_HOME: '/xdg' } })[1]).toBe('/xdg/jupyter/kernels');
  });
});
