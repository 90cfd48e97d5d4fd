/**
 * Many writers, one table: N independent writers (each its own client and limiter, sharing
 * nothing but the table) write continuously into one MemoryBackend table provisioned at
 * 1,000 WCU, on a virtual clock. For each N: utilisation of the provisioned capacity after the
 * first simulated minute, throttled requests (rejected, or batches with unprocessed writes)
 * as a share of all requests, Jain's fairness index of the writers' throughput and the slowest
 * writer's share, with AdaptiveRate, with FixedRate at capacity / N, and with no limiter
 * (retries only). The AdaptiveRate fleets then go through a second phase in the same run:
 * capacity drops to 500 WCU, then rises to 2,000, and the bench reports how many simulated
 * seconds the fleet took to follow each change.
 *
 *   deno run -A bench/fleet.ts [--writers 1,10,100,1000] [--minutes 10] [--phase-minutes 2]
 *                              [--limiters adaptive,fixed,none] [--svg bench/fleet-n100.svg]
 *                              [--seed 1] [--max-wcu 2000] [--quick]
 *
 * Prints a markdown table. Everything is deterministic for a seed.
 *
 * @module
 */

import { type FleetLimiter, type FleetResult, runFleet } from "./_fleet_sim.ts";

const QUICK = Deno.args.includes("--quick");
const WRITERS = listArg("--writers", QUICK ? "10,100" : "1,10,100,1000").map(Number);
const MINUTES = Number(arg("--minutes", QUICK ? "3" : "10"));
// 1,000 writers cost about a request per writer per simulated second (~0.25 ms of real time
// each): their run is kept shorter so the whole bench stays within minutes.
const LARGE_MINUTES = Number(arg("--large-minutes", QUICK ? "3" : "10"));
const PHASE_MINUTES = Number(arg("--phase-minutes", QUICK ? "1" : "2"));
const LIMITERS = listArg("--limiters", "adaptive,fixed,none") as FleetLimiter[];
const SVG = arg("--svg", QUICK ? "" : new URL("./fleet-n100.svg", import.meta.url).pathname);
const SEED = Number(arg("--seed", "1"));
/**
 * Each AdaptiveRate's maxWcu: by default the highest capacity of the run (2,000), the ceiling a
 * writer pays for, so that one writer alone can follow the table up to it.
 */
const MAX_WCU = Number(arg("--max-wcu", "2000"));

function arg(name: string, fallback: string): string {
  const at = Deno.args.indexOf(name);
  return at < 0 ? fallback : Deno.args[at + 1];
}

function listArg(name: string, fallback: string): string[] {
  return arg(name, fallback).split(",").filter(Boolean);
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const check = (ok: boolean) => (ok ? "met" : "**missed**");

const phaseMs = PHASE_MINUTES * 60_000;

const results: FleetResult[] = [];
for (const writers of WRITERS) {
  const steadyMs = (writers >= 1000 ? LARGE_MINUTES : MINUTES) * 60_000;
  const changes = [
    { atMs: steadyMs, wcu: 500 },
    { atMs: steadyMs + phaseMs, wcu: 2000 },
  ];
  for (const limiter of LIMITERS) {
    const adaptive = limiter === "adaptive";
    const result = await runFleet({
      writers,
      limiter,
      wcu: 1000,
      durationMs: adaptive ? steadyMs + 2 * phaseMs : steadyMs,
      steadyEndMs: steadyMs,
      warmupMs: 60_000,
      changes: adaptive ? changes : [],
      seed: SEED,
      adaptive: { maxWcu: MAX_WCU },
    });
    results.push(result);
    console.error(
      `fleet: N=${writers} ${limiter}: ${
        (result.realMs / 1000).toFixed(1)
      } s real, ${result.requests} requests`,
    );
    if (SVG && writers === 100 && adaptive) await Deno.writeTextFile(SVG, plot(result));
  }
}

const lines = [
  `${MINUTES} simulated minutes at 1,000 WCU (${
    LARGE_MINUTES === MINUTES ? "" : `${LARGE_MINUTES} for N = 1,000; `
  }the first minute`,
  "left out of utilisation, fairness and steady throttles), seed " + SEED +
  "; then, for AdaptiveRate, " +
  `${PHASE_MINUTES} minutes at 500 WCU and ${PHASE_MINUTES} at 2,000. Writers send what half a`,
  "second of their rate allows (1 to 25 puts of 1 WCU per BatchWriteItem; 25 without a limiter).",
  "Throttled requests are those rejected or answered with unprocessed items, counted at the table.",
  "Follow: simulated seconds from a capacity change until the fleet's 5-second mean throughput is",
  "within 10% of the new capacity.",
  "",
  "| N | limiter | utilisation | throttled (steady) | throttled (whole run) | fairness (Jain) | slowest writer | follow 1000→500 | follow 500→2000 | failed writes | requests | real time |",
  "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
];
const name = { adaptive: "AdaptiveRate", fixed: "FixedRate (C/N)", none: "none (retries)" };
const follow = (s: number | undefined, adaptive: boolean) =>
  adaptive ? (s === undefined ? "never" : `${s} s`) : "–";
for (const r of results) {
  const adaptive = r.limiter === "adaptive";
  lines.push(
    `| ${r.writers} | ${name[r.limiter]} | ${pct(r.utilisation)} | ${pct(r.throttledShare)} | ${
      pct(r.throttledShareAll)
    } | ${r.fairness.toFixed(3)} | ${pct(r.slowestShare)} | ${
      follow(r.followSeconds[0], adaptive)
    } | ${follow(r.followSeconds[1], adaptive)} | ${r.failedWrites} | ${
      r.requests.toLocaleString("en-US")
    } | ${(r.realMs / 1000).toFixed(1)} s |`,
  );
}
lines.push(
  "",
  "Targets for AdaptiveRate (every N):",
  "",
  "| N | utilisation ≥ 90% | throttled ≤ 5% | fairness ≥ 0.9 | follows within 30 s |",
  "| ---: | --- | --- | --- | --- |",
);
for (const r of results.filter((r) => r.limiter === "adaptive")) {
  const follows = r.followSeconds.every((s) => s !== undefined && s <= 30);
  lines.push(
    `| ${r.writers} | ${check(r.utilisation >= 0.9)} | ${check(r.throttledShare <= 0.05)} | ${
      check(r.fairness >= 0.9)
    } | ${check(follows)} |`,
  );
}
console.log(lines.join("\n"));

/** An SVG plot of the fleet's throughput, the capacity and the throttles, second by second. */
function plot(result: FleetResult): string {
  const width = 900;
  const height = 360;
  const left = 60;
  const right = 60;
  const top = 30;
  const bottom = 40;
  const seconds = result.seconds;
  // Bursts (the table's saved capacity spent at once) are clipped at the top of the plot.
  const maxY = 2500;
  const maxT = Math.max(1, ...seconds.map((s) => s.throttled));
  const x = (s: number) => left + (s / Math.max(1, seconds.length - 1)) * (width - left - right);
  const y = (v: number) => top + (1 - Math.min(v, maxY) / maxY) * (height - top - bottom);
  const yt = (v: number) => top + (1 - v / maxT) * (height - top - bottom);
  const line = (values: number[], scale: (v: number) => number) =>
    values.map((v, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${scale(v).toFixed(1)}`).join(" ");
  // Five-second means keep the line readable.
  const smooth = seconds.map((_, i) => {
    const window = seconds.slice(Math.max(0, i - 2), i + 3);
    return window.reduce((sum, s) => sum + s.consumed, 0) / window.length;
  });
  const ticks = [0, 500, 1000, 1500, 2000].filter((v) => v <= maxY);
  const minutes = Array.from({ length: Math.floor(seconds.length / 60) + 1 }, (_, m) => m);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">
<rect width="${width}" height="${height}" fill="white"/>
<text x="${left}" y="18" font-size="13">${result.writers} writers, AdaptiveRate each, one table (MemoryBackend, virtual clock)</text>
${
    ticks.map((v) =>
      `<line x1="${left}" x2="${width - right}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/><text x="${
        left - 6
      }" y="${y(v) + 4}" text-anchor="end">${v}</text>`
    ).join("\n")
  }
${
    minutes.map((m) =>
      `<text x="${x(m * 60)}" y="${height - bottom + 16}" text-anchor="middle">${m}</text>`
    ).join("\n")
  }
<text x="${(left + width - right) / 2}" y="${
    height - 6
  }" text-anchor="middle">simulated minutes</text>
<text x="14" y="${top + 120}" transform="rotate(-90 14 ${
    top + 120
  })" text-anchor="middle">WCU per second</text>
<text x="${width - 14}" y="${top + 120}" transform="rotate(90 ${width - 14} ${
    top + 120
  })" text-anchor="middle">throttled requests per second</text>
<path d="${
    line(seconds.map((s) => s.throttled), yt)
  }" fill="none" stroke="#d62728" stroke-width="0.8" opacity="0.7"/>
<path d="${
    line(seconds.map((s) => s.capacity), y)
  }" fill="none" stroke="#555" stroke-dasharray="5,4"/>
<path d="${line(smooth, y)}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>
<text x="${width - right - 4}" y="${
    top + 12
  }" text-anchor="end"><tspan fill="#1f77b4">consumed WCU/s (5 s mean, clipped at ${maxY})</tspan>  <tspan fill="#555">provisioned</tspan>  <tspan fill="#d62728">throttled requests/s (0–${maxT})</tspan></text>
</svg>
`;
}
