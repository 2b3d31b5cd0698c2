// @jupyterlab/services reading kernelspecs from Berth: the list, one spec, and its resources.
import { KernelSpecAPI, KernelSpecManager, ServerConnection } from '@jupyterlab/services';
import { validateSpecModel } from '@jupyterlab/services/lib/kernelspec/validate';
import { gatewayForFile } from './fixtures';
import { disposeManager, servicesClient, type ServicesClient } from './services-client';

const gateway = gatewayForFile();

describe('kernelspecs through @jupyterlab/services', () => {
  let client: ServicesClient;

  beforeAll(() => {
    client = servicesClient(gateway(), 'json');
  });

  afterAll(async () => {
    await client?.dispose();
  });

  test('KernelSpecAPI.getSpecs lists python3 (the default) and ir, validated by the client', async () => {
    const specs = await KernelSpecAPI.getSpecs(client.settings);
    expect(specs.default).toBe('python3');
    const python = specs.kernelspecs['python3'];
    expect(python).toMatchObject({
      name: 'python3',
      language: 'python',
      display_name: 'Python 3 (ipykernel)',
      argv: ['/usr/bin/python3', '-m', 'ipykernel_launcher', '-f', '{connection_file}'],
      metadata: { debugger: true },
    });
    expect(specs.kernelspecs['ir']).toMatchObject({ name: 'ir', language: 'R', display_name: 'R' });
  });

  test('resources are server-relative URLs (as Jupyter Server gives them) that serve the logo', async () => {
    const specs = await KernelSpecAPI.getSpecs(client.settings);
    const logo = specs.kernelspecs['python3']!.resources['logo-svg'];
    expect(logo).toBe('/kernelspecs/python3/logo-svg.svg');
    const response = await ServerConnection.makeRequest(new URL(logo!, gateway().url).href, {}, client.settings);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await response.text()).toContain('<svg');
  });

  test('GET /api/kernelspecs/python3 returns one spec the client validator accepts', async () => {
    const url = `${client.settings.baseUrl}api/kernelspecs/python3`;
    const response = await ServerConnection.makeRequest(url, {}, client.settings);
    expect(response.status).toBe(200);
    const spec = validateSpecModel(await response.json());
    expect(spec.name).toBe('python3');
    expect(spec.language).toBe('python');
    expect(Object.keys(spec.resources)).toContain('logo-svg');
  });

  test('an unknown spec is a 404 ResponseError with a Jupyter error body', async () => {
    const url = `${client.settings.baseUrl}api/kernelspecs/no-such-kernel`;
    const response = await ServerConnection.makeRequest(url, {}, client.settings);
    expect(response.status).toBe(404);
    const error = await ServerConnection.ResponseError.create(response);
    expect(error.message).toContain('no-such-kernel');
  });

  test('KernelSpecManager exposes the same specs after a refresh', async () => {
    const manager = new KernelSpecManager({ serverSettings: client.settings, standby: 'never' });
    try {
      await manager.ready;
      await manager.refreshSpecs();
      expect(manager.specs?.default).toBe('python3');
      expect(Object.keys(manager.specs?.kernelspecs ?? {})).toEqual(expect.arrayContaining(['python3', 'ir']));
    } finally {
      await disposeManager(manager, '_pollSpecs');
    }
  });
});
