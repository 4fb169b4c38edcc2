/**
 * The one skip rule for tests that need something this machine may lack (a system service, a
 * download, the built package): outside CI they skip with a visible NOTICE; inside CI (`CI` set,
 * as `.ci/run` does, or the older DINGTALK_REQUIRE_* flags) a missing one fails the run. Every
 * such condition goes through here, so the list of what can skip is this file's callers.
 */
export const inCI = !!process.env.CI || !!process.env.DINGTALK_REQUIRE_BROWSER || !!process.env.DINGTALK_REQUIRE_REDIS;

/** `present`, or: in CI an error naming what is missing and how to get it; elsewhere a NOTICE and `false` (skip). */
export function required(what: string, present: boolean, howToGetIt: string): boolean {
  if (present) return true;
  if (inCI) throw new Error(`${what} is required in CI but missing here: ${howToGetIt}`);
  console.warn(`NOTICE: ${what} not found; the tests that need it are skipped (${howToGetIt})`);
  return false;
}
