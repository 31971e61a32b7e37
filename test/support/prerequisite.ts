/**
 * A test that needs something this machine may lack (Redis, chromium, redis-server, ../shared/data).
 * On a developer's machine it is skipped with the reason printed and counted in the closing summary;
 * under CI (CI set) the missing prerequisite fails the run, since CI must run every test.
 */
export function requirePrerequisite(context: Mocha.Context, present: unknown, what: string): asserts present {
  if (present) return;
  if (process.env.CI) throw new Error(`missing prerequisite under CI: ${what}`);
  console.log(`      (skipped: ${what})`);
  context.skip();
}
