'use strict';
/** Load generation with autocannon, programmatic, in the bench's own process. */
const autocannon = require('autocannon');
const http = require('node:http');

/**
 * One bounded autocannon run. Returns autocannon's req/s mean and latency p50/p99 (ms; autocannon's
 * histogram has 1 ms resolution) plus an exact p50/p99 from each response's hrtime duration.
 */
function runLoad({ url, path, paths, connections, durationSec, overallRate }) {
  return new Promise((resolve, reject) => {
    const durations = [];
    const opts = { url, connections, duration: durationSec, pipelining: 1 };
    // Open loop: a fixed request rate, so latency is one request's own cost and not queueing.
    if (overallRate) opts.overallRate = overallRate;
    if (paths) opts.requests = paths.map((p) => ({ method: 'GET', path: p }));
    else opts.url = url + path;
    // Hard bound: autocannon stops itself after `duration`; never wait more than duration + 15 s.
    let instance;
    const guard = setTimeout(
      () => {
        if (instance) instance.stop();
        reject(new Error(`autocannon did not finish within ${durationSec + 15}s`));
      },
      (durationSec + 15) * 1000,
    );
    instance = autocannon(opts, (err, result) => {
      clearTimeout(guard);
      if (err) return reject(err);
      durations.sort((a, b) => a - b);
      resolve({
        rps: result.requests.average,
        p50: result.latency.p50,
        p99: result.latency.p99,
        exactP50: percentile(durations, 0.5),
        exactP99: percentile(durations, 0.99),
        total: result.requests.total,
        errors: result.errors,
        timeouts: result.timeouts,
        statusCodeStats: result.statusCodeStats,
      });
    });
    instance.on('response', (client, statusCode, resBytes, responseTime) => {
      durations.push(responseTime);
    });
  });
}

function percentile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i];
}

/** GET url, parse JSON, bounded by timeoutMs. */
function getJson(url, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, headers: res.headers, body: JSON.parse(body) });
        } catch (e) {
          reject(new Error(`GET ${url}: bad JSON (${res.statusCode}): ${body.slice(0, 200)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: timeout after ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

module.exports = { runLoad, getJson, percentile };
