import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// The prebuilt (federated) extension as shipped: what `npm run build` leaves in labextension/,
// the folder users copy into a labextensions path. Checked against the sources so a plugin,
// schema or build step that goes missing fails here rather than in a user's JupyterLab.

const PACKAGE = join(__dirname, '..');
const OUTPUT = join(PACKAGE, 'labextension');

function json<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

const built = existsSync(join(OUTPUT, 'package.json'));

describe('prebuilt extension (labextension/)', () => {
  beforeAll(() => {
    if (!built) throw new Error('labextension/ is missing: run `npm run build` in labextension/ first (scripts/test.mjs does).');
  });

  it('names its remote entry, extension and style in package.json', () => {
    const data = json<{ name: string; jupyterlab: { _build: { load: string; extension: string; style: string } } }>(
      join(OUTPUT, 'package.json'),
    );
    expect(data.name).toBe('berth-labextension');
    expect(data.jupyterlab._build).toMatchObject({ extension: './extension', style: './style' });
    expect(existsSync(join(OUTPUT, data.jupyterlab._build.load))).toBe(true);
    expect(readFileSync(join(OUTPUT, data.jupyterlab._build.load), 'utf8')).toContain('berth-labextension');
  });

  it('ships one settings schema per plugin that has one, each matching a plugin id in the sources', () => {
    const schemas = readdirSync(join(PACKAGE, 'schema')).filter((file) => file.endsWith('.json'));
    const shipped = readdirSync(join(OUTPUT, 'schemas', 'berth-labextension')).filter((file) => file.endsWith('.json'));
    expect(shipped.sort()).toEqual(schemas.sort());
    const pluginSources = readdirSync(join(PACKAGE, 'src', 'plugins'))
      .map((file) => readFileSync(join(PACKAGE, 'src', 'plugins', file), 'utf8'))
      .join('\n');
    for (const schema of schemas) {
      const id = `berth-labextension:${schema.replace(/\.json$/, '')}`;
      expect(pluginSources).toMatch(new RegExp(`['"]${id}['"]`));
    }
  });

  it('takes JupyterLab and Lumino from the host (shared singletons), never bundling them', () => {
    const statics = readdirSync(join(OUTPUT, 'static')).filter((file) => file.endsWith('.js'));
    const code = statics.map((file) => readFileSync(join(OUTPUT, 'static', file), 'utf8')).join('\n');
    // Consumers of the host's shared modules, asking for the 4.5.10 release line (webpack's
    // encoding of "^4.6.10" is [1,4,6,10]; apputils is 4.6.x in JupyterLab 4.5).
    expect(code).toMatch(/"@jupyterlab\/apputils",!1,\[1,4,6,10\]/);
    expect(code).toMatch(/"@jupyterlab\/notebook",!1,\[1,4,5,10\]/);
    expect(code).toMatch(/"@lumino\/widgets",!1,\[1,2,/);
    // Their own code is not in the bundle (class names they set on every widget and dialog).
    expect(code).not.toContain('lm-Widget');
    expect(code).not.toContain('jp-Dialog');
  });
});
