/**
 * The oldest Node.js the bridge runs on, checked by the bin before it loads anything that needs it
 * (Mastra's packages and the SDKs use APIs of 22.13), and written by `install` into client configs.
 * package.json's `engines` says the same (test/node-version.test.ts).
 */
export const NODE_NEEDED = '22.13.0';

const parts = (version: string) => version.replace(/^v/, '').split('.').map(Number);

/** Whether `version` (e.g. process.versions.node) is at least NODE_NEEDED. */
export function nodeIsRecentEnough(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = parts(version);
  const [needMajor = 0, needMinor = 0, needPatch = 0] = parts(NODE_NEEDED);
  return major !== needMajor ? major > needMajor : minor !== needMinor ? minor > needMinor : patch >= needPatch;
}

/** The one line the bin prints on an older Node, or undefined when this one will do. */
export function nodeTooOld(version: string, execPath: string): string | undefined {
  if (nodeIsRecentEnough(version)) return undefined;
  return `needs Node.js ${NODE_NEEDED} or later, and this is Node.js ${version.replace(/^v/, '')} (${execPath}): install Node.js 22 or 24 (https://nodejs.org, or \`nvm install 22\`) and run the bin with it`;
}
