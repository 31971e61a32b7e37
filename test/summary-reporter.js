// Mocha's spec reporter plus one closing line CI can read: "tests: N passed, N failed, N skipped".
const Mocha = require("mocha");

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    const skipped = [];
    runner.on(Mocha.Runner.constants.EVENT_TEST_PENDING, (test) => skipped.push(test.fullTitle()));
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const { passes = 0, failures = 0, pending = 0 } = runner.stats ?? {};
      if (skipped.length > 0) {
        process.stdout.write(`\nskipped (a prerequisite is missing on this machine; CI fails instead):\n`);
        for (const title of skipped) process.stdout.write(`  - ${title}\n`);
      }
      process.stdout.write(`\ntests: ${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SummaryReporter;
