#!/usr/bin/env node
// A real Berth gateway for the extension's tests, in a Node process of its own.
//
// The extension's tests run under jsdom in this package's jest; the gateway is TypeScript in the
// root project, started by the repository's own harness (test/support/gateway-harness.ts). This
// process loads that harness with a small TypeScript require hook (the root project's compiler,
// transpile only), starts the gateway with the options given as JSON in argv[2], prints one JSON
// line {url, token, dataDir} on stdout, and stops the gateway when stdin closes or on SIGTERM.
'use strict';
const { readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

const ROOT = resolve(__dirname, '..', '..', '..');

/** Compiles .ts files on require with the root project's TypeScript (no type check: tsc -b does that). */
function registerTypeScript() {
  const ts = require(require.resolve('typescript', { paths: [ROOT] }));
  const options = {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    esModuleInterop: true,
    sourceMap: false,
  };
  require.extensions['.ts'] = (module, filename) => {
    const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions: options, fileName: filename });
    module._compile(outputText, filename);
  };
}

async function main() {
  const overrides = process.argv[2] ? JSON.parse(process.argv[2]) : {};
  registerTypeScript();
  const { startTestGateway } = require(join(ROOT, 'test', 'support', 'gateway-harness.ts'));
  const gateway = await startTestGateway(overrides);
  let stopping;
  const stop = () => {
    stopping ??= gateway.stop().then(
      () => process.exit(0),
      (error) => {
        process.stderr.write(`gateway stop failed: ${error.stack ?? error}\n`);
        process.exit(1);
      },
    );
  };
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ url: gateway.url, token: gateway.token, dataDir: gateway.dataDir })}\n`);
}

main().catch((error) => {
  process.stderr.write(`gateway did not start: ${error.stack ?? error}\n`);
  process.exit(1);
});
