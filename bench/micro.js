'use strict';
/**
 * In-process micro-benchmarks of the agent's hot paths. Run by bench/run.js in a child process
 * (clean heap, nothing else on its event loop); also runnable alone: `node bench/micro.js [--quick] [--json]`.
 *
 * Modules still being written elsewhere (build/src/redact, build/src/patches/error-body-trace-id)
 * are optional: a missing one prints "n/a (module not built)".
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const BUILD = path.join(process.env.BENCH_BUILD_DIR || path.join(ROOT, 'build'), 'src');
const quick = process.argv.includes('--quick');
const asJson = process.argv.includes('--json');
const SCALE = quick ? 0.25 : 1;

function summarize(samplesNs, opsPerSample) {
  const perOpUs = Float64Array.from(samplesNs, (ns) => ns / opsPerSample / 1000).sort();
  const pick = (q) => perOpUs[Math.min(perOpUs.length - 1, Math.max(0, Math.ceil(q * perOpUs.length) - 1))];
  let sum = 0;
  for (const v of perOpUs) sum += v;
  return { p50: pick(0.5), p95: pick(0.95), mean: sum / perOpUs.length, ops: perOpUs.length * opsPerSample };
}

/** Times `fn` in samples of `batch` calls after `warmup` calls; per-op µs. */
function timeIt(fn, { warmup, samples, batch = 1 }) {
  for (let i = 0; i < warmup; i++) fn(i);
  const out = new Array(samples);
  let k = 0;
  for (let s = 0; s < samples; s++) {
    const t0 = process.hrtime.bigint();
    for (let b = 0; b < batch; b++) fn(k++);
    out[s] = Number(process.hrtime.bigint() - t0);
  }
  return summarize(out, batch);
}

let sink = 0; // keeps results observable so nothing is optimized away
function consume(v) {
  if (v === undefined || v === null) return;
  sink = (sink + (typeof v === 'string' ? v.length : 1)) | 0;
}

const n = (x) => Math.max(10, Math.round(x * SCALE));
const results = [];
function record(id, label, fnOrNa, note) {
  if (typeof fnOrNa === 'string') results.push({ id, label, na: fnOrNa, note });
  else results.push({ id, label, ...fnOrNa, note });
}

// ---------------------------------------------------------------- fixtures
const { TRACE_ID, EXC_MESSAGE, EXC_STACK, HTTP_ATTRIBUTES, HTTP_RECORD, EXCEPTION_RECORD } = require('./lib/span-records');
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;

// ---------------------------------------------------------------- 1. traceparent extract + inject
function benchPropagation() {
  const api = require('@opentelemetry/api');
  const { W3CTraceContextPropagator } = require('@opentelemetry/core');
  const propagator = new W3CTraceContextPropagator();
  const carrierIn = { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' };
  const fn = () => {
    const ctx = propagator.extract(api.ROOT_CONTEXT, carrierIn, api.defaultTextMapGetter);
    const out = {};
    propagator.inject(ctx, out, api.defaultTextMapSetter);
    consume(out.traceparent);
  };
  // sanity: the round trip keeps the trace id
  const check = {};
  propagator.inject(propagator.extract(api.ROOT_CONTEXT, carrierIn, api.defaultTextMapGetter), check, api.defaultTextMapSetter);
  if (!check.traceparent || !check.traceparent.includes(TRACE_ID)) throw new Error('propagation round trip lost the trace id');
  record('traceparent', 'traceparent extract+inject (W3C)', timeIt(fn, { warmup: n(20000), samples: n(4000), batch: 20 }));
}

// ---------------------------------------------------------------- 2. one exception event on a recording span
function benchRecordException() {
  const { TracerProvider, AlwaysOnSampler } = require('@opentelemetry/sdk-trace');
  const provider = new TracerProvider({ sampler: new AlwaysOnSampler(), spanProcessors: [] });
  const tracer = provider.getTracer('bench');
  const err = new Error(EXC_MESSAGE);
  err.stack = EXC_STACK; // formatted once, as after the app logged it
  const CHUNK = 500;
  const total = n(20000);
  const warm = n(5000);
  const samples = [];
  for (let done = 0; done < warm + total; done += CHUNK) {
    const spans = Array.from({ length: CHUNK }, () => tracer.startSpan('GET /checkout'));
    for (const span of spans) {
      const t0 = process.hrtime.bigint();
      span.recordException(err);
      const dt = Number(process.hrtime.bigint() - t0);
      if (done >= warm) samples.push(dt);
    }
    if (!spans[0].isRecording() || spans[0].events.length !== 1) throw new Error('span did not record the exception');
    for (const span of spans) span.end();
  }
  record('exception', 'record exception event (sdk-trace span.recordException)', summarize(samples, 1));

  // The agent's own recorder, when built (adds status, error.type, de-duplication).
  const file = path.join(BUILD, 'errors', 'record-exception.js');
  const agentLabel = 'record exception event (agent recordExceptionOnSpan)';
  if (!fs.existsSync(file)) return record('agentException', agentLabel, 'n/a (module not built)');
  let recordExceptionOnSpan;
  try {
    ({ recordExceptionOnSpan } = require(file));
  } catch (e) {
    return record('agentException', agentLabel, `n/a (load failed: ${String(e.message).split('\n')[0]})`);
  }
  if (typeof recordExceptionOnSpan !== 'function') return record('agentException', agentLabel, 'n/a (no recordExceptionOnSpan export)');
  const options = { captureStacktrace: true, markError: true };
  const agentSamples = [];
  for (let done = 0; done < warm + total; done += CHUNK) {
    const spans = Array.from({ length: CHUNK }, () => tracer.startSpan('GET /checkout'));
    for (const span of spans) {
      const t0 = process.hrtime.bigint();
      recordExceptionOnSpan(span, err, options);
      const dt = Number(process.hrtime.bigint() - t0);
      if (done >= warm) agentSamples.push(dt);
    }
    if (spans[0].events.length !== 1) return record('agentException', agentLabel, 'n/a (no event recorded with { captureStacktrace, markError })');
    for (const span of spans) span.end();
  }
  record('agentException', agentLabel, summarize(agentSamples, 1));
}

// ---------------------------------------------------------------- 3. masking
function callEither(fn, a, b) {
  try {
    return { value: fn(a, b), order: 'ab' };
  } catch (first) {
    try {
      return { value: fn(b, a), order: 'ba' };
    } catch {
      throw first;
    }
  }
}

function benchMasking() {
  const file = path.join(BUILD, 'redact', 'index.js');
  const labels = {
    maskExc: 'mask exception record (maskSpanRecord)',
    maskStr: 'mask exception message+stack (maskString)',
    maskHttp: 'mask http span record, 16 attrs, values repeat (maskSpanRecord)',
    maskHttpFresh: 'mask http span record, 16 attrs, url/target/port new each time',
  };
  if (!fs.existsSync(file)) {
    for (const [id, label] of Object.entries(labels)) record(id, label, 'n/a (module not built)');
    return;
  }
  let mod;
  try {
    mod = require(file);
  } catch (err) {
    for (const [id, label] of Object.entries(labels)) record(id, label, `n/a (load failed: ${String(err.message).split('\n')[0]})`);
    return;
  }
  if (typeof mod.compileMaskingPolicy !== 'function') {
    for (const [id, label] of Object.entries(labels)) record(id, label, 'n/a (no compileMaskingPolicy export)');
    return;
  }
  const t0 = process.hrtime.bigint();
  const compiled = mod.compileMaskingPolicy({ extraPatterns: [], extraKeys: [] });
  const compileUs = Number(process.hrtime.bigint() - t0) / 1000;
  const policy = compiled && compiled.policy !== undefined ? compiled.policy : compiled;

  const tryBench = (id, fnName, input, validate) => {
    let fn = mod[fnName];
    if (typeof fn !== 'function' && policy && typeof policy[fnName] === 'function') {
      const method = policy[fnName].bind(policy); // e.g. policy.maskString(value)
      fn = (a, b) => method(a === policy ? b : a);
    }
    if (typeof fn !== 'function') return record(id, labels[id], `n/a (no ${fnName} export)`);
    try {
      const { value, order } = callEither(fn, policy, input);
      const problem = validate(value);
      const call = order === 'ab' ? () => fn(policy, input) : () => fn(input, policy);
      const stats = timeIt(() => consume(call()), { warmup: n(2000), samples: n(10000) });
      record(id, labels[id], stats, problem);
    } catch (err) {
      record(
        id,
        labels[id],
        `n/a (threw: ${String(err && err.message)
          .split('\n')[0]
          .slice(0, 80)})`,
      );
    }
  };
  const masksEmail = (text) => (typeof text === 'string' && text.includes('jane.doe@example.com') ? 'email not masked' : undefined);
  tryBench('maskExc', 'maskSpanRecord', EXCEPTION_RECORD, (out) =>
    out && out.events ? masksEmail(out.events[0] && out.events[0].attributes && out.events[0].attributes['exception.message']) : 'unexpected result shape',
  );
  tryBench('maskStr', 'maskString', `${EXC_MESSAGE}\n${EXC_STACK}`, (out) => (typeof out === 'string' ? masksEmail(out) : 'not a string'));
  tryBench('maskHttp', 'maskSpanRecord', HTTP_RECORD, (out) => (out && out.attributes ? undefined : 'unexpected result shape'));
  // The policy remembers results for short strings, and steady traffic repeats most values (method,
  // addresses, route, user agent), but not all: here the URL, target and peer port differ on every
  // call, so the figure above is not a cache's best case only.
  if (typeof mod.maskSpanRecord === 'function') {
    const count = n(14000);
    const fresh = Array.from({ length: count }, (_, i) => {
      const target = `/users/${100000 + i}?page=${i % 50}&sort=name`;
      return {
        ...HTTP_RECORD,
        attributes: { ...HTTP_ATTRIBUTES, 'http.url': `http://api.example.com:8080${target}`, 'http.target': target, 'net.peer.port': 1024 + i },
      };
    });
    const { order } = callEither(mod.maskSpanRecord, policy, fresh[0]);
    let next = 0; // one counter across warm-up and samples: no record is masked twice
    const call = order === 'ab' ? () => mod.maskSpanRecord(policy, fresh[next++ % count]) : () => mod.maskSpanRecord(fresh[next++ % count], policy);
    record(
      'maskHttpFresh',
      labels.maskHttpFresh,
      timeIt(() => consume(call()), { warmup: n(2000), samples: n(10000) }),
    );
  }
  results.push({ id: 'maskCompile', label: 'compileMaskingPolicy (once)', once: compileUs });
}

// ---------------------------------------------------------------- 4. trace id into a JSON error body
function benchErrorBody() {
  const id = 'errorBody';
  const label = 'inject trace id into JSON error body';
  // The module may be one file or a folder of modules; look for a pure function in any of them.
  const single = path.join(BUILD, 'patches', 'error-body-trace-id.js');
  const dir = path.join(BUILD, 'patches', 'error-body-trace-id');
  const files = [];
  if (fs.existsSync(single)) files.push(single);
  if (fs.existsSync(dir) && fs.statSync(dir).isDirectory()) {
    for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.js')) files.push(path.join(dir, f));
  }
  if (files.length === 0) return record(id, label, 'n/a (module not built)');
  const candidates = [];
  const loadErrors = [];
  for (const file of files) {
    let mod;
    try {
      mod = require(file);
    } catch (err) {
      loadErrors.push(`${path.basename(file)}: ${String(err.message).split('\n')[0]}`);
      continue;
    }
    for (const [name, v] of Object.entries(mod)) {
      if (typeof v === 'function' && /inject.*trace|trace.*(body|json)|(body|json).*trace/i.test(name)) candidates.push([name, v]);
    }
  }
  if (candidates.length === 0) {
    return record(id, label, `n/a (${loadErrors.length ? 'load failed: ' + loadErrors.join('; ') : 'no pure function exported'})`);
  }
  const body = JSON.stringify({ error: 'internal_error', message: 'user lookup failed: database timeout after 250 ms' });
  const bodyBuf = Buffer.from(body);
  const forms = [
    ['Buffer body', (fn) => () => fn(bodyBuf, TRACE_ID)],
    ['string body', (fn) => () => fn(body, TRACE_ID)],
    ['Buffer body', (fn) => () => fn(bodyBuf, TRACE_ID, 'trace_id')],
    ['options object', (fn) => () => fn({ body, traceId: TRACE_ID, field: 'trace_id' })],
  ];
  const hasId = (v) => {
    if (v === undefined || v === null) return false;
    if (typeof v === 'string' || Buffer.isBuffer(v)) return String(v).includes(TRACE_ID);
    if (typeof v === 'object') return hasId(v.body) || JSON.stringify(v).includes(TRACE_ID);
    return false;
  };
  for (const [name, fn] of candidates) {
    for (const [shape, form] of forms) {
      const call = form(fn);
      let out;
      try {
        out = call();
      } catch {
        continue;
      }
      if (!hasId(out)) continue;
      return record(
        id,
        `${label} (${name}, ${body.length} B ${shape})`,
        timeIt(() => consume(call()), { warmup: n(5000), samples: n(4000), batch: 5 }),
      );
    }
  }
  record(id, label, `n/a (could not call ${candidates.map(([k]) => k).join(', ')} with a known signature)`);
}

// ---------------------------------------------------------------- 5. keep-by-outcome's decision per unsampled request
// A dropped request's decision remembered and one late child's lookup, with fresh id strings as the
// SDK's generator makes them (a Map keyed by them measured ~2 µs per request under load, perf).
function benchDecisionMemory() {
  const { DroppedTraceIds } = require(path.join(BUILD, 'sdk', 'decision-memory.js'));
  const pool = require('node:crypto').randomBytes(16 * 50_000);
  const idAt = (i) => pool.hexSlice((i % 50_000) * 16, (i % 50_000) * 16 + 16);
  const dropped = new DroppedTraceIds();
  const fn = (i) => {
    dropped.add(idAt(i));
    consume(dropped.has(idAt(i + 25_000)));
  };
  record(
    'decisionMemory',
    "keep-by-outcome: remember a dropped request's trace + one lookup (fresh ids)",
    timeIt(fn, { warmup: n(40000), samples: n(4000), batch: 20 }),
  );
}

// ---------------------------------------------------------------- main
for (const step of [benchPropagation, benchRecordException, benchMasking, benchErrorBody, benchDecisionMemory]) {
  try {
    step();
  } catch (err) {
    results.push({ id: step.name, label: step.name, na: `error: ${String(err && err.message).split('\n')[0]}` });
  }
}

if (asJson) {
  process.stdout.write(JSON.stringify({ results, sink }) + '\n');
} else {
  const fmt = (v) => (v === undefined ? '' : v < 10 ? v.toFixed(2) : v.toFixed(1));
  const w = Math.max(...results.map((r) => r.label.length));
  console.log(`${'micro-benchmark'.padEnd(w)}  ${'p50 µs'.padStart(9)}  ${'p95 µs'.padStart(9)}  ${'mean µs'.padStart(9)}`);
  for (const r of results) {
    if (r.na) console.log(`${r.label.padEnd(w)}  ${r.na}`);
    else if (r.once !== undefined) console.log(`${r.label.padEnd(w)}  ${fmt(r.once).padStart(9)}  (single call)`);
    else console.log(`${r.label.padEnd(w)}  ${fmt(r.p50).padStart(9)}  ${fmt(r.p95).padStart(9)}  ${fmt(r.mean).padStart(9)}${r.note ? '  ! ' + r.note : ''}`);
  }
}
