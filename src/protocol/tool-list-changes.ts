import type { Catalogue } from '../catalogue/catalogue.js';

/** What a front hears of its catalogues: `send` runs on every change of each one watched, until `stop`. */
export interface ToolListChanges {
  /** Watches one more catalogue (a caller's own, say); one already watched is not watched twice. */
  watch(catalogue: Catalogue): void;
  /** Stops listening to every catalogue watched: nothing is sent afterwards. */
  stop(): void;
}

/**
 * How every front sends `notifications/tools/list_changed`: `send` is the front's own notification
 * (a session's, a connection's instances', the HTTP handler's listen streams), a failed one is dropped
 * (the client has gone). Catalogues are held weakly: a caller's catalogue the bridge forgets is freed.
 */
export function toolListChanges(send: () => unknown): ToolListChanges {
  const seen = new WeakSet<Catalogue>();
  let watched: WeakRef<Catalogue>[] = [];
  let stopped = false;
  const onChange = () => {
    if (!stopped) void Promise.resolve(send()).catch(() => {});
  };
  return {
    watch(catalogue) {
      if (stopped || seen.has(catalogue)) return;
      seen.add(catalogue);
      watched = [...watched.filter((ref) => ref.deref() !== undefined), new WeakRef(catalogue)];
      catalogue.on('change', onChange);
    },
    stop() {
      stopped = true;
      for (const ref of watched) ref.deref()?.off('change', onChange);
      watched = [];
    },
  };
}
