import type { Output } from '../main.js';

/** A subcommand: its own arguments (after its name) and the environment in, the exit code out. */
export type Subcommand = (argv: readonly string[], env: NodeJS.ProcessEnv, output: Output) => Promise<number>;

/** The subcommands, each loaded only when named, so that serving loads none of them. One line each. */
const SUBCOMMANDS: Record<string, () => Promise<{ run: Subcommand }>> = {
  doctor: async () => ({ run: (await import('./doctor.js')).doctor }),
  install: () => import('./install.js'),
  token: () => import('./token.js'),
};

/** The bin: a subcommand when the first argument names one, otherwise the bridge itself (main.ts). */
export async function runCommandLine(argv: readonly string[], env: NodeJS.ProcessEnv, output: Output = process): Promise<number> {
  const [name, ...rest] = argv;
  const load = name !== undefined && Object.hasOwn(SUBCOMMANDS, name) ? SUBCOMMANDS[name] : undefined;
  if (load) return (await load()).run(rest, env, output);
  const { main } = await import('../main.js');
  return main(argv, env, output);
}
