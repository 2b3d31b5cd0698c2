// Stops the gateway global-setup.cjs started (closing its stdin asks it to stop) and removes its
// config directory; SIGKILL of that one child if it has not exited after 15 s.
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const started = globalThis.__berthGateway;
  if (!started) return;
  const { child, configDir } = started;
  if (child.exitCode === null) {
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 15000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.stdin.end();
    });
  }
  rmSync(configDir, { recursive: true, force: true });
};
