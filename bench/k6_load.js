// k6 script for bench/drivers.py: one or many URLs, at saturation or at a fixed arrival rate.
//
// Environment (set by drivers.k6_run): URLS_FILE (one URL per line, asked in turn), MODE
// ("rate": constant-arrival-rate, an open loop; "saturate": constant-vus, a closed loop), RATE,
// VUS, SECONDS, SUMMARY_FILE (where the end-of-test summary is written as JSON).
import exec from "k6/execution";
import http from "k6/http";
import { Counter } from "k6/metrics";

const urls = open(__ENV.URLS_FILE).split("\n").filter((line) => line.length > 0);
const vus = parseInt(__ENV.VUS, 10);
const duration = `${__ENV.SECONDS}s`;

const scenario =
  __ENV.MODE === "rate"
    ? {
        // An iteration starts when it is due whether or not earlier ones have answered: a slow
        // server cannot slow the schedule down (no coordinated omission). When every VU is busy,
        // k6 counts the iteration in dropped_iterations instead of sending it late.
        executor: "constant-arrival-rate",
        rate: parseInt(__ENV.RATE, 10),
        timeUnit: "1s",
        duration,
        preAllocatedVUs: vus,
        maxVUs: vus,
      }
    : { executor: "constant-vus", vus, duration };

export const options = {
  scenarios: { bench: scenario },
  discardResponseBodies: true,
  summaryTrendStats: ["avg", "p(50)", "p(95)", "p(99)", "max"],
};

// Of the answers the portal's shared cache could give (X-Cache HIT or MISS), how many it gave.
const cacheHits = new Counter("cache_hits");
const cacheAnswers = new Counter("cache_answers");

export default function () {
  const url = urls[exec.scenario.iterationInTest % urls.length];
  const response = http.get(url, { timeout: "30s" });
  const cache = (response.headers["X-Cache"] || "").toLowerCase();
  if (cache === "hit" || cache === "miss") {
    cacheAnswers.add(1);
    if (cache === "hit") {
      cacheHits.add(1);
    }
  }
}

export function handleSummary(data) {
  return { [__ENV.SUMMARY_FILE]: JSON.stringify(data.metrics) };
}
