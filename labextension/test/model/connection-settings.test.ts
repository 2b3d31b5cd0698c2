import { configurationSteps, connectionFrom, readSettings } from '../../src/model/connection-settings';

describe('connection settings', () => {
  it('reads the registry composite with defaults', () => {
    expect(readSettings(undefined)).toEqual({ gatewayUrl: '', token: '', refreshSeconds: 5 });
    expect(readSettings({ gatewayUrl: ' http://127.0.0.1:8888 ', token: ' t ', refreshSeconds: 0 })).toEqual({
      gatewayUrl: 'http://127.0.0.1:8888',
      token: 't',
      refreshSeconds: 5,
    });
  });

  it('makes a base URL ending in / (base URL kept, query dropped)', () => {
    expect(connectionFrom({ gatewayUrl: 'http://127.0.0.1:8888', token: 't', refreshSeconds: 5 })).toEqual({
      ok: true,
      baseUrl: 'http://127.0.0.1:8888/',
      token: 't',
    });
    expect(connectionFrom({ gatewayUrl: 'https://berth.example/jupyter/?x=1', token: '', refreshSeconds: 5 })).toEqual({
      ok: true,
      baseUrl: 'https://berth.example/jupyter/',
      token: '',
    });
  });

  it('says what is wrong with unusable URLs', () => {
    expect(connectionFrom({ gatewayUrl: '', token: '', refreshSeconds: 5 })).toEqual({
      ok: false,
      problem: 'The Berth gateway URL is not set.',
    });
    expect(connectionFrom({ gatewayUrl: 'localhost:8888', token: '', refreshSeconds: 5 })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('http://'),
    });
    expect(connectionFrom({ gatewayUrl: 'not a url', token: '', refreshSeconds: 5 })).toMatchObject({
      ok: false,
      problem: expect.stringContaining('is not a URL'),
    });
  });

  it("names this page's origin for --allow-origin", () => {
    expect(configurationSteps('http://127.0.0.1:8889').join('\n')).toContain('berth serve --allow-origin http://127.0.0.1:8889');
  });
});
