import { chmod, copyFile, mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** A client's configuration file as read: its JSON, and how it was indented, so a rewrite looks like the original. */
export interface ConfigFile {
  path: string;
  exists: boolean;
  json: Record<string, unknown>;
  indent: string;
}

/** A configuration file that cannot be changed safely: one line saying why. */
export class ConfigFileError extends Error {}

/** Reads `path`; a missing file is an empty configuration. Anything but a JSON object is refused, never overwritten. */
export async function readConfigFile(path: string): Promise<ConfigFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { path, exists: false, json: {}, indent: '  ' };
    throw new ConfigFileError(`cannot read ${path}: ${(error as Error).message}`);
  }
  if (text.trim() === '') return { path, exists: true, json: {}, indent: '  ' };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // Comments or trailing commas (VS Code allows them) would be lost by a rewrite: the person edits such a file.
    throw new ConfigFileError(`${path} is not plain JSON (${(error as Error).message}); it is left as it is: add the entry below by hand`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new ConfigFileError(`${path} does not hold a JSON object; it is left as it is`);
  return { path, exists: true, json: json as Record<string, unknown>, indent: /^\{\r?\n([ \t]+)"/.exec(text)?.[1] ?? '  ' };
}

/**
 * Writes the new configuration: a copy of the old file first (returned), then the new text into a file
 * beside it, renamed over the old one, so that a crash never leaves half a file. The file keeps its
 * permissions; a new one is readable by its owner only, since it holds a token.
 */
export async function writeConfigFile(file: ConfigFile, json: Record<string, unknown>, now = new Date()): Promise<string | undefined> {
  await mkdir(dirname(file.path), { recursive: true });
  let backup: string | undefined;
  let mode = 0o600;
  if (file.exists) {
    backup = `${file.path}.${now.toISOString().replace(/[:.]/g, '-')}.bak`;
    await copyFile(file.path, backup);
    mode = (await stat(file.path)).mode & 0o777;
  }
  const temporary = `${file.path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(json, null, file.indent)}\n`, { mode });
  await chmod(temporary, mode);
  await rename(temporary, file.path);
  return backup;
}
