/**
 * Samples the server process's RSS at a fixed interval while load runs, keeping the peak.
 */
import type { ServerProcess } from './server-process.js';

export interface RssSampler {
  /** Stops sampling; resolves with the highest RSS seen (bytes). Rejects if a sample failed. */
  stop(): Promise<number>;
}

/** Starts sampling `server` every `everyMs` milliseconds. */
export function sampleRss(server: ServerProcess, everyMs = 250): RssSampler {
  let peak = 0;
  let failure: Error | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    inFlight = server
      .rss()
      .then((rss) => {
        peak = Math.max(peak, rss);
      })
      .catch((err: unknown) => {
        failure = err instanceof Error ? err : new Error(String(err));
      });
  }, everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      await inFlight;
      if (failure) throw failure;
      peak = Math.max(peak, await server.rss());
      return peak;
    },
  };
}
