// Prints one plain closing line, "jest: N passed, N failed, N skipped", after Jest's own summary, so
// that CI logs can be read by tools that do not know Jest's format.
export default class SummaryReporter {
  onRunComplete(_contexts, results) {
    const { numPassedTests, numFailedTests, numPendingTests, numTodoTests } = results;
    process.stdout.write(`\njest: ${numPassedTests} passed, ${numFailedTests} failed, ${numPendingTests + numTodoTests} skipped\n`);
  }
}
