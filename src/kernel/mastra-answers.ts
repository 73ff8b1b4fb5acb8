import type { Logger } from '../log.js';
import type { BridgeObserver } from './observer.js';

/**
 * Warns once each time Mastra stops or starts answering, as the bridge's own requests find it (listings,
 * calls, token checks): an outage shows in the log at its start and end, however many calls fail
 * meanwhile. Any HTTP answer counts as answering; only a request that got none does not.
 */
export function mastraAnswers(logger: Logger, baseUrl: string): Pick<BridgeObserver, 'mastraRequest'> {
  let answering: boolean | undefined;
  return {
    mastraRequest({ status, reason }) {
      const now = status !== 'unreachable';
      if (now === answering) return;
      // Answering from the start is the normal case, not news.
      if (now && answering !== undefined) logger.warn(`the Mastra server at ${baseUrl} answers again`, { mastra: 'answering' });
      if (!now)
        logger.warn(`the Mastra server at ${baseUrl} does not answer (${reason ?? 'no answer'}): calls answer isError results until it is back`, {
          mastra: 'not_answering',
        });
      answering = now;
    },
  };
}
