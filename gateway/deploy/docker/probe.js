#!/usr/bin/env node
'use strict';
// The gateway container's startup, readiness and liveness probe (deploy/kubernetes/deployment.yaml):
// GET the URL given (default http://127.0.0.1:8888/api) with the token the gateway was given in
// BERTH_TOKEN, and exit 0 only on a 2xx answer. Every endpoint of the gateway wants a token, and a
// Kubernetes httpGet probe cannot read one from a Secret; an exec probe runs in the container, with
// its environment. Failures say why on stderr, which the kubelet puts in the pod's events.
const url = process.argv[2] ?? 'http://127.0.0.1:8888/api';
const token = process.env.BERTH_TOKEN ?? '';

function fail(reason) {
  process.stderr.write(`probe: GET ${url}: ${reason}\n`);
  process.exit(1);
}

// Below the probe's timeoutSeconds (5), so the reason is printed rather than the probe killed.
fetch(url, { headers: { Authorization: `token ${token}` }, signal: AbortSignal.timeout(4000) }).then(
  (response) => (response.ok ? process.exit(0) : fail(`HTTP ${response.status}`)),
  (error) => fail(error.cause?.code ?? error.message),
);
