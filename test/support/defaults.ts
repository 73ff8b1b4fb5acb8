import type { MastraClient } from '@mastra/client-js';
import { Catalogue, type CatalogueOptions } from '../../src/catalogue/catalogue.js';
import { defaultConfig, FIXED } from '../../src/config.js';
import type { OAuthSettings } from '../../src/identity/oauth-callers.js';
import { catalogueSettings, frontSettings, httpSettings, refreshSettings, taskLimits } from '../../src/module-options.js';
import type { FrontOptions } from '../../src/protocol/front-options.js';
import { requestStateSealer } from '../../src/protocol/modern/request-state.js';
import { TaskBoard, type TaskBoardOptions } from '../../src/tasks/task-board.js';
import type { TaskLimits } from '../../src/tasks/task-store.js';

/**
 * Every setting as a bridge started with no flag and no environment has it: the tests' one source
 * of defaults, read from the settings table and turned into module options as main.ts does.
 */
export const DEFAULTS = defaultConfig();

/** The task limits of a bridge started with no settings, with a test's own over them. */
export const defaultTaskLimits = (limits: Partial<TaskLimits> = {}): TaskLimits => ({ ...taskLimits(DEFAULTS), ...limits });

/** A task board with the default limits but those a test gives. */
export const taskBoard = (limits: Partial<TaskLimits> = {}, options?: TaskBoardOptions): TaskBoard => new TaskBoard(defaultTaskLimits(limits), options);

/** A catalogue listing with `client`, as the bridge makes it from the defaults (prefixes, no filter). */
export const catalogueOf = (client: MastraClient, options: Partial<CatalogueOptions> = {}): Catalogue =>
  new Catalogue({ ...catalogueSettings(DEFAULTS), client, ...options });

/** How the catalogue is kept fresh by default. */
export const refreshDefaults = () => refreshSettings(DEFAULTS);

/** Without MCP_REQUEST_STATE_SECRET a bridge seals with a key of its process: one for this test file, like one process. */
const processSealer = requestStateSealer(DEFAULTS.requestStateSecret);

/** What both fronts take besides the catalogue, client and Mastra URL: the defaults, and a task board of their own unless given. */
export const frontDefaults = (): Omit<FrontOptions, 'catalogue' | 'client' | 'baseUrl'> => ({
  ...frontSettings(DEFAULTS),
  tasks: taskBoard(),
  requestStates: processSealer,
});

/** What the HTTP transport takes besides the fronts' options; port 0, since tests never bind a fixed one. */
export const httpDefaults = () => ({ ...httpSettings(DEFAULTS), port: 0 });

/** The values of an OAuth sign-in that no flag sets (clock tolerance, JWKS cooldown), as main.ts passes them. */
export const oauthDefaults: Pick<OAuthSettings, 'clockToleranceS' | 'jwksCooldownMs'> = {
  clockToleranceS: FIXED.clockToleranceS,
  jwksCooldownMs: FIXED.jwksCooldownMs,
};
