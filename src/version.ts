/**
 * This package's version, sent in the `ua` field of every open-connection call
 * (a test keeps it equal to package.json's).
 *
 * @example
 * ```ts
 * console.log(`dingtalk-stream-universal ${VERSION}`);
 * ```
 */
export const VERSION = '0.1.0';
