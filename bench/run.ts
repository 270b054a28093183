// Load benchmark: autocannon on loopback against the service in a child
// process. Each scenario runs several rounds, interleaved so that drift in a
// noisy machine spreads over all of them; medians are reported.
//
//   npm run bench -- [--rounds 5] [--duration 5] [--connections 10] [--only a,b]
//
// The server seeds its own database first (BENCH_ARTICLES articles, default 2000).
import autocannon from "autocannon";
import { parseArgs } from "node:util";
import { median, signIn, startServer, type Target } from "./harness";

interface Scenario {
  name: string;
  path: (target: Target) => string;
  authenticated: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: "health", path: () => "/health/live", authenticated: false },
  { name: "jwt-only", path: () => "/bench/jwt-only", authenticated: true },
  { name: "jwt-and-session", path: () => "/bench/jwt-and-session", authenticated: true },
  { name: "current-user", path: () => "/api/user", authenticated: true },
  { name: "articles", path: () => "/api/articles", authenticated: false },
  { name: "articles-auth", path: () => "/api/articles", authenticated: true },
  {
    name: "articles-by-tag",
    path: (t) => `/api/articles?tag=${encodeURIComponent(t.tag)}`,
    authenticated: true,
  },
  { name: "feed", path: () => "/api/articles/feed", authenticated: true },
  { name: "article", path: (t) => `/api/articles/${t.slug}`, authenticated: true },
  { name: "comments", path: (t) => `/api/articles/${t.slug}/comments`, authenticated: true },
  { name: "tags", path: () => "/api/tags", authenticated: false },
];

/** Comparisons worth a ratio: [numerator, denominator]. */
const RATIOS: [string, string][] = [
  ["jwt-and-session", "jwt-only"],
  ["articles-auth", "articles"],
];

const { values: options } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    duration: { type: "string", default: "5" },
    connections: { type: "string", default: "10" },
    only: { type: "string" },
  },
});

interface Sample {
  requestsPerSecond: number;
  p50: number;
  p99: number;
  errors: number;
}

async function measure(target: Target, scenario: Scenario, token: string): Promise<Sample> {
  const result = await autocannon({
    url: target.url + scenario.path(target),
    connections: Number(options.connections),
    duration: Number(options.duration),
    headers: scenario.authenticated ? { authorization: `Token ${token}` } : {},
  });
  return {
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
  };
}

async function main(): Promise<void> {
  const only = options.only?.split(",");
  const scenarios = SCENARIOS.filter(
    (scenario) => only === undefined || only.includes(scenario.name),
  );
  const server = await startServer();
  try {
    const token = await signIn(server.target);
    const samples = new Map<string, Sample[]>(scenarios.map((scenario) => [scenario.name, []]));
    for (let round = 1; round <= Number(options.rounds); round++) {
      for (const scenario of scenarios) {
        samples.get(scenario.name)!.push(await measure(server.target, scenario, token));
      }
      process.stderr.write(`round ${round} done\n`);
    }

    const medians = new Map<string, number>();
    console.log(
      `${options.rounds} rounds × ${options.duration} s, ${options.connections} connections; medians`,
    );
    console.log("scenario            req/s    p50 ms  p99 ms  errors");
    for (const [name, list] of samples) {
      const rps = median(list.map((sample) => sample.requestsPerSecond));
      medians.set(name, rps);
      const errors = list.reduce((sum, sample) => sum + sample.errors, 0);
      console.log(
        `${name.padEnd(18)} ${rps.toFixed(0).padStart(7)} ${median(list.map((s) => s.p50))
          .toFixed(1)
          .padStart(8)} ${median(list.map((s) => s.p99))
          .toFixed(1)
          .padStart(7)} ${String(errors).padStart(7)}`,
      );
    }
    for (const [numerator, denominator] of RATIOS) {
      const a = medians.get(numerator);
      const b = medians.get(denominator);
      if (a !== undefined && b !== undefined) {
        console.log(`${numerator} / ${denominator}: ${(a / b).toFixed(3)}`);
      }
    }
  } finally {
    await server.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
