/**
 * Progress on stderr for long commands: a progress bar (cli-progress) when stderr is a
 * terminal, otherwise a plain line every few seconds, so logs stay readable.
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  /** `done` out of the total; `text` describes it (counts, rate, current file). */
  update(done: number, text: string): void;
  stop(): void;
}

export interface ProgressReporterOptions {
  label: string;
  total: number;
  stream?: NodeJS.WriteStream;
  /** Between plain lines when the stream is not a terminal; default 5 s. */
  intervalMs?: number;
  now?: () => number;
}

/** Formats an integer with thousands separators. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** A bar on a terminal, periodic lines elsewhere. */
export function progressReporter(opts: ProgressReporterOptions): ProgressReporter {
  const stream = opts.stream ?? process.stderr;
  const total = Math.max(1, opts.total);
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream, format: `${opts.label} |{bar}| {percentage}% | {text}`, hideCursor: true, clearOnComplete: false, etaBuffer: 50 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { text: '' });
    return {
      update: (done, text) => bar.update(Math.min(done, total), { text }),
      stop: () => bar.stop(),
    };
  }
  const now = opts.now ?? (() => Date.now());
  const interval = opts.intervalMs ?? 5000;
  let last = now();
  return {
    update(done, text) {
      const t = now();
      if (t - last < interval) return;
      last = t;
      stream.write(`${opts.label}: ${Math.floor((100 * Math.min(done, total)) / total)}% ${text}\n`);
    },
    stop() {},
  };
}
