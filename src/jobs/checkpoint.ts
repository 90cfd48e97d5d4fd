/**
 * Checkpoints of bulk jobs: small JSON values that say how far a job got, so that a stopped
 * job (abort, crash, time limit) can continue without losing or repeating work.
 *
 * @module
 */

import { ValidationError } from "../errors.ts";

/**
 * How far a bulk job got. JSON-serialisable: store it anywhere and hand it back as
 * `resumeFrom`.
 */
export interface Checkpoint {
  /** The checkpoint format. */
  version: 1;
  /** The job that made it: `putAll`, `deleteAll` or `copyTable`. */
  job: string;
  /** The table written to. */
  table: string;
  /**
   * How many leading items of the source are confirmed written: a contiguous watermark, so no
   * unconfirmed item lies before it.
   */
  position: number;
  /** For a job that reads a scan: where to continue reading (every segment's position). */
  cursor?: string;
  /** Items the job wrote in all, across resumes. */
  written?: number;
  /** Whether the job finished: resuming from it writes nothing more. */
  done?: boolean;
}

/**
 * Checks a checkpoint handed back as `resumeFrom` against the job it is meant for.
 *
 * @throws {ValidationError} When it is malformed or belongs to another job or table.
 */
export function checkResume(
  resume: Checkpoint | undefined,
  job: string,
  table: string,
): Checkpoint | undefined {
  if (resume === undefined) return undefined;
  const r = resume as Partial<Checkpoint>;
  if (
    r === null || typeof r !== "object" || r.version !== 1 || typeof r.position !== "number" ||
    !Number.isSafeInteger(r.position) || r.position < 0
  ) {
    throw new ValidationError(
      `Cannot resume ${job}: 'resumeFrom' is not a checkpoint: current value is ${
        JSON.stringify(resume)
      }`,
      { rule: "checkpoint", value: resume },
    );
  }
  if (r.job !== job || r.table !== table) {
    throw new ValidationError(
      `Cannot resume ${job} of '${table}' from a checkpoint of ${r.job} of '${r.table}'`,
      { rule: "checkpoint", value: resume },
    );
  }
  return resume;
}

/** The lowest position not yet confirmed, as confirmations arrive in any order. */
export class Watermark {
  #low: number;
  #above = new Set<number>();

  /** Starts at `start` (everything before it is confirmed). */
  constructor(start = 0) {
    this.#low = start;
  }

  /** How many leading positions are confirmed. */
  get position(): number {
    return this.#low;
  }

  /** Marks positions confirmed; returns whether the watermark moved. */
  confirm(positions: number[]): boolean {
    const before = this.#low;
    for (const p of positions) if (p >= this.#low) this.#above.add(p);
    while (this.#above.delete(this.#low)) this.#low++;
    return this.#low !== before;
  }
}
