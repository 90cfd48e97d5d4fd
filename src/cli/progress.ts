/**
 * The command line's progress report: a live bar redrawn in place on a terminal, plain lines
 * now and then otherwise. It only formats; the caller says where text goes.
 *
 * @module
 */

import type { Progress } from "../metrics.ts";

/** Options of a {@linkcode ProgressReport}. */
export interface ProgressReportOptions {
  /** Whether the output is a terminal (a bar redrawn in place). */
  tty: boolean;
  /** Writes text (no newline added). */
  write: (text: string) => void;
  /** Milliseconds now. */
  now?: () => number;
  /** How often a plain line is printed when not on a terminal. */
  plainEveryMs?: number;
  /** How often the bar is redrawn on a terminal. */
  barEveryMs?: number;
}

/** What the report shows: progress, plus a share of the whole when the job knows it. */
export interface ProgressState extends Progress {
  /** A share from 0 to 1, when the job knows how far it is another way (bytes of a file). */
  share?: number;
}

const BAR_WIDTH = 24;

function count(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${r}` : `${m}:${r}`;
}

/** A progress report for one job. */
export class ProgressReport {
  #label: string;
  #options: ProgressReportOptions;
  #now: () => number;
  #start: number;
  #last = -Infinity;
  #state: ProgressState = { done: 0, failed: 0 };
  #drawn = false;

  /** Starts a report for the job named `label` (e.g. `import users`). */
  constructor(label: string, options: ProgressReportOptions) {
    this.#label = label;
    this.#options = options;
    this.#now = options.now ?? (() => Date.now());
    this.#start = this.#now();
  }

  /** Takes new progress; draws when it is time. */
  update(state: ProgressState): void {
    this.#state = { ...this.#state, ...state };
    const every = this.#options.tty
      ? this.#options.barEveryMs ?? 100
      : this.#options.plainEveryMs ?? 2000;
    const now = this.#now();
    if (now - this.#last < every) return;
    this.#last = now;
    this.#draw(false);
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    this.#draw(true);
  }

  /** The report's text for the current state. */
  line(final = false): string {
    const s = this.#state;
    const seconds = Math.max((this.#now() - this.#start) / 1000, 1e-3);
    const rate = s.done / seconds;
    const share = s.total ? Math.min(s.done / s.total, 1) : s.share;
    const parts: string[] = [];
    const of = s.total ? `${count(s.done)}/${count(s.total)}` : count(s.done);
    parts.push(`${of} items`);
    if (share !== undefined) parts.push(`${(share * 100).toFixed(0)}%`);
    parts.push(`${count(rate)} items/s`);
    if (!final && share !== undefined && share > 0) {
      parts.push(`ETA ${duration(seconds * (1 - share) / share)}`);
    } else if (final) parts.push(`in ${duration(seconds)}`);
    if (s.failed) parts.push(`${count(s.failed)} failed`);
    parts.push(`retries ${count(s.retries ?? 0)}`, `throttles ${count(s.throttles ?? 0)}`);
    if (s.consumedWcu) parts.push(`WCU ${count(s.consumedWcu)}`);
    if (s.consumedRcu) parts.push(`RCU ${count(s.consumedRcu)}`);
    if (this.#options.tty) {
      const filled = share === undefined ? 0 : Math.round(share * BAR_WIDTH);
      const bar = share === undefined
        ? "".padEnd(BAR_WIDTH, "·")
        : "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled);
      return `${this.#label} [${bar}] ${parts.join("  ")}`;
    }
    return `${this.#label}: ${parts.join(", ")}`;
  }

  #draw(final: boolean): void {
    const text = this.line(final);
    if (this.#options.tty) {
      this.#options.write(`\r\x1b[2K${text}${final ? "\n" : ""}`);
      this.#drawn = !final;
    } else this.#options.write(`${text}\n`);
  }

  /** Ends a half-drawn bar line before other text is printed. */
  clear(): void {
    if (this.#drawn) this.#options.write("\r\x1b[2K");
    this.#drawn = false;
  }
}
