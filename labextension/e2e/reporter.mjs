// A node:test reporter that writes the run as a jest-shaped JSON report, so that the extension's
// one report (.test-results/jest.json) can count the browser tests with its unit tests:
//
//   node --test --test-reporter=./e2e/reporter.mjs --test-reporter-destination=.test-results/e2e.json …
//
// One testResults entry per test file ({name, status, message, assertionResults: [{title,
// fullName, ancestorTitles, status, duration, failureMessages}]}), plus numPassedTests,
// numFailedTests, numTotalTests. Suites (describe) are not tests; a suite that failed while none
// of its tests did (a failing before/after hook) marks its file failed with no failing test,
// which the counters count as one failure, as they do for jest's suites.

function failureText(error) {
  if (!error) return 'failed';
  // node:test wraps the test's own error (an AssertionError, say) as `cause`.
  const cause = error.cause ?? error;
  return String(cause.stack ?? cause.message ?? cause);
}

export default async function* jestShapedReport(source) {
  /** file → { results: [{nesting, names, status, duration, failure, suite}] } */
  const files = new Map();
  const fileOf = (data) => {
    const name = data.file ?? '(unknown file)';
    if (!files.has(name)) files.set(name, { results: [] });
    return files.get(name);
  };

  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { data } = event;
    const file = fileOf(data);
    const suite = data.details?.type === 'suite';
    const entry = {
      nesting: data.nesting,
      names: [data.name],
      status: event.type === 'test:pass' ? 'passed' : 'failed',
      duration: data.details?.duration_ms ?? 0,
      failure: event.type === 'test:fail' ? failureText(data.details?.error) : undefined,
      suite,
      // The nesting of the outermost suite whose name is in `names` so far.
      reached: data.nesting,
      hasFailure: event.type === 'test:fail',
    };
    if (data.skip || data.todo) entry.status = 'pending';
    if (suite) {
      // Its tests and inner suites reported before it (innermost first): the results whose
      // names reach down to the level just inside it are its direct children; every result
      // under it gets its name.
      let childFailure = false;
      for (const result of file.results) {
        if (result.reached !== data.nesting + 1) continue;
        result.reached = data.nesting;
        result.names.unshift(data.name);
        if (result.nesting === data.nesting + 1 && result.hasFailure) childFailure = true;
      }
      entry.failedWithoutTest = entry.status === 'failed' && !childFailure;
      entry.hasFailure = childFailure || entry.failedWithoutTest;
    }
    file.results.push(entry);
  }

  const report = { success: true, numPassedTests: 0, numFailedTests: 0, numPendingTests: 0, numTotalTests: 0, testResults: [] };
  for (const [name, file] of files) {
    const tests = file.results.filter((result) => !result.suite);
    const brokenSuites = file.results.filter((result) => result.suite && result.failedWithoutTest);
    const assertionResults = tests.map((test) => ({
      title: test.names[test.names.length - 1],
      fullName: test.names.join(' › '),
      ancestorTitles: test.names.slice(0, -1),
      status: test.status,
      duration: Math.round(test.duration),
      failureMessages: test.failure ? [test.failure] : [],
    }));
    const failedTests = assertionResults.filter((test) => test.status === 'failed').length;
    const status = failedTests > 0 || brokenSuites.length > 0 ? 'failed' : 'passed';
    report.numPassedTests += assertionResults.filter((test) => test.status === 'passed').length;
    report.numFailedTests += failedTests;
    report.numPendingTests += assertionResults.filter((test) => test.status === 'pending').length;
    report.numTotalTests += assertionResults.length;
    if (status === 'failed') report.success = false;
    report.testResults.push({
      name,
      status,
      message: brokenSuites.map((suite) => `${suite.names.join(' › ')}: ${suite.failure}`).join('\n'),
      assertionResults,
    });
  }
  yield `${JSON.stringify(report, null, 2)}\n`;
}
