/**
 * `otel-agent report [files...]`: latency, errors, the service graph and the slowest traces from
 * the file exporter's JSON lines. Streams its input (see src/report/build-report.ts): a 1 GB file
 * is fine. Nothing here loads the SDK.
 */
import { statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { buildReport, DEFAULT_ERROR_LIMIT, DEFAULT_SLOWEST_LIMIT } from '../report/build-report';
import { parseDuration } from '../report/filters';
import { renderText, renderTraceText } from '../report/render-text';
import type { CliCommand, CliIo } from './command';
import { USAGE_ERROR_EXIT_CODE } from './command';
import { errorMessage } from '../error-message';

const HELP = `Usage: otel-agent report [options] <file>...

Reads span files written by the file exporter (TRACING_EXPORTER=file), plain JSON lines or gzip
(detected by content, not by name), and prints:
  - latency per operation: each service's SERVER spans by http.route (else span name), with
    count, errors, and exact p50/p95/p99/max, slowest p95 first
  - errors: traces with an error span (status ERROR or an exception event), newest first
  - the service graph: CLIENT -> SERVER calls across services (give every service's file);
    a call no instrumented server answered goes to peer.service or server.address:port
  - the slowest traces as trees

Lines that are not spans (corrupt, truncated) are counted and reported, never fatal. A missing
or unreadable file is named on stderr and the exit code is 1; the other files are still reported.

Options:
  --since <duration>  Only spans that ended within <duration> (e.g. 500ms, 30s, 10m, 2h, 1d) before
                      the newest span in the input, so an old file still has a "last 10 minutes"
  --service <name>    Only this service's spans; graph edges from or to it
  --route <route>     Only this operation (http.route, else span name)
                      Filters apply to each span for latency; a trace (errors, slowest) is kept
                      when its root span matches; graph calls honour --since and --service
  --limit <n>         Error traces listed (default ${DEFAULT_ERROR_LIMIT}); all are counted
  --slowest <n>       Slowest traces drawn (default ${DEFAULT_SLOWEST_LIMIT})
  --trace <id>        Print this one trace as a tree with every span's attributes and events
  --json              Print the report as JSON (with --trace, the report plus "trace")
  --html <out.html>   Also write the report as a self-contained HTML page
  -h, --help          Show this help

Exit codes: 0 report printed, 1 a file missing or unreadable or --trace not found, 2 usage error.
`;

export interface ReportArgs {
  files: string[];
  json: boolean;
  html?: string;
  traceId?: string;
  sinceMs?: number;
  service?: string;
  route?: string;
  errorLimit: number;
  slowestLimit: number;
  help: boolean;
}

const VALUE_OPTIONS = new Set(['--since', '--service', '--route', '--limit', '--slowest', '--trace', '--html']);

/** The parsed arguments, or the usage problem as a sentence. */
export function parseReportArgs(args: readonly string[]): ReportArgs | string {
  const parsed: ReportArgs = { files: [], json: false, errorLimit: DEFAULT_ERROR_LIMIT, slowestLimit: DEFAULT_SLOWEST_LIMIT, help: false };
  for (let index = 0; index < args.length; index++) {
    let arg = args[index];
    let value: string | undefined;
    const equals = arg.indexOf('=');
    if (arg.startsWith('--') && equals !== -1) {
      value = arg.slice(equals + 1);
      arg = arg.slice(0, equals);
    }
    if (VALUE_OPTIONS.has(arg) && value === undefined) {
      value = args[++index];
      if (value === undefined) return `${arg} needs a value`;
    }
    switch (arg) {
      case '-h':
      case '--help':
        parsed.help = true;
        break;
      case '--json':
        parsed.json = true;
        break;
      case '--html':
        parsed.html = value;
        break;
      case '--trace':
        parsed.traceId = value!.toLowerCase();
        break;
      case '--service':
        parsed.service = value;
        break;
      case '--route':
        parsed.route = value;
        break;
      case '--since': {
        const ms = parseDuration(value!);
        if (ms === undefined) return `--since ${JSON.stringify(value)} is not a duration like 500ms, 30s, 10m, 2h or 1d`;
        parsed.sinceMs = ms;
        break;
      }
      case '--limit':
      case '--slowest': {
        if (!/^\d+$/.test(value!)) return `${arg} ${JSON.stringify(value)} is not a whole number`;
        if (arg === '--limit') parsed.errorLimit = Number(value);
        else parsed.slowestLimit = Number(value);
        break;
      }
      default:
        if (arg.startsWith('-') && arg !== '-') return `unknown option ${JSON.stringify(args[index])}`;
        parsed.files.push(arg);
    }
  }
  if (!parsed.help && parsed.files.length === 0) return 'no input files given';
  return parsed;
}

export const reportCommand: CliCommand = {
  name: 'report',
  usage: '[options] <file>...  Latency, errors, service graph and slowest traces from file exporter output',
  run(args, io) {
    const parsed = parseReportArgs(args);
    if (typeof parsed === 'string') {
      io.stderr(`otel-agent report: ${parsed}\n\n${HELP}`);
      return USAGE_ERROR_EXIT_CODE;
    }
    if (parsed.help) {
      io.stdout(HELP);
      return 0;
    }
    return runReport(parsed, io);
  },
};

async function runReport(parsed: ReportArgs, io: CliIo): Promise<number> {
  let exitCode = 0;
  const files: string[] = [];
  for (const file of parsed.files) {
    const resolved = path.resolve(io.cwd, file);
    try {
      if (!statSync(resolved).isFile()) throw new Error('not a file');
      files.push(resolved);
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(error);
      io.stderr(`otel-agent report: cannot read ${file} (${reason})\n`);
      exitCode = 1;
    }
  }
  if (files.length === 0) return 1;

  const report = await buildReport(files, {
    filters: { sinceMs: parsed.sinceMs, service: parsed.service, route: parsed.route },
    errorLimit: parsed.errorLimit,
    slowestLimit: parsed.slowestLimit,
    traceId: parsed.traceId,
  });
  for (const failure of report.readFailures ?? []) {
    // A truncated gzip (a copy taken mid-rotation) is input damage like a corrupt line: not fatal.
    io.stderr(`otel-agent report: stopped reading ${failure}; the lines before it are in the report\n`);
  }
  if (report.input.badLines > 0) io.stderr(`otel-agent report: ${report.input.badLines} line(s) were not spans and were skipped\n`);

  if (parsed.html !== undefined) {
    // Required on demand: the HTML page is the biggest renderer and most runs never ask for it.
    const { renderHtml } = require('../report/html') as typeof import('../report/html');
    writeFileSync(path.resolve(io.cwd, parsed.html), renderHtml(report));
  }

  if (parsed.traceId !== undefined && report.trace === undefined) {
    io.stderr(`otel-agent report: no spans of trace ${parsed.traceId} in the input\n`);
    exitCode = 1;
  }
  if (parsed.json) {
    const { readFailures: _readFailures, ...json } = report;
    io.stdout(JSON.stringify(json, null, 2) + '\n');
  } else if (parsed.traceId !== undefined) {
    if (report.trace !== undefined) io.stdout(renderTraceText(report.trace));
  } else {
    io.stdout(renderText(report));
  }
  return exitCode;
}
