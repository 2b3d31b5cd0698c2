// Starts one real Berth gateway for the whole test run (test/support/gateway-process.cjs runs the
// repository's own harness) and hands its address to the test files through the environment.
// Its configuration: the example config directory (Docker exec configs docker-small and
// docker-large, code envs pandas and r-tables; nothing here starts a container) and two users,
// alice (data-science + admins: every exec config, including local) and bob (analysts:
// docker-small only).
const { spawn } = require('node:child_process');
const { cpSync, mkdtempSync, readFileSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..', '..', '..');
const USERS = [
  { name: 'alice', token: 'alice-labextension-token-1', groups: ['data-science', 'admins'] },
  { name: 'bob', token: 'bob-labextension-token-02', groups: ['analysts'] },
];

module.exports = async function globalSetup() {
  const configDir = mkdtempSync(join(tmpdir(), 'berth-labext-config-'));
  cpSync(join(ROOT, 'gateway', 'examples', 'config'), configDir, { recursive: true });
  // A base image no machine has: should anything try to start a Docker pair, it fails at once.
  for (const file of ['docker-small.yaml', 'docker-large.yaml']) {
    const path = join(configDir, 'execution-configs', file);
    writeFileSync(path, readFileSync(path, 'utf8').replace(/^baseImage: .*$/m, 'baseImage: berth-test/never-built-base:latest'));
  }
  const options = { configDir, allowOrigin: 'http://localhost', auth: { users: USERS }, groupDefaults: { analysts: 'docker-small' } };
  const child = spawn(process.execPath, [join(__dirname, 'gateway-process.cjs'), JSON.stringify(options)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const info = await new Promise((resolvePromise, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the test gateway did not start within 60 s:\n${stderr}`)), 60000);
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline < 0) return;
      clearTimeout(timer);
      resolvePromise(JSON.parse(stdout.slice(0, newline)));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the test gateway exited (${code}) before it started:\n${stderr}`));
    });
  });
  process.env.BERTH_LABEXT_TEST_GATEWAY = JSON.stringify({
    ...info,
    users: Object.fromEntries(USERS.map((user) => [user.name, user.token])),
  });
  globalThis.__berthGateway = { child, configDir };
};
