/**
 * `otel-agent config [--json]`: the configuration the agent would use if started here
 * (process.env, package.json found from cwd), where each value came from, and the problems.
 * Secrets never reach the output: header values print as ***, URL passwords are masked.
 */
import { ALL_OPTIONS, displayValue, loadConfig, redactSecrets } from '../config';
import type { CliCommand } from './command';
import { USAGE_ERROR_EXIT_CODE } from './command';

const HELP = `Usage: otel-agent config [--json]

Prints the effective configuration from the environment and the package.json found from the
current directory: each variable, its value and its source (the variable that set it,
package.json, or default), then the problems the agent would log at startup.

Options:
  --json      Print {"config", "sources", "problems"} as JSON instead
  -h, --help  Show this help
`;

export const configCommand: CliCommand = {
  name: 'config',
  usage: '[--json]  Print the effective configuration, where each value came from, and any problems',
  run(args, io) {
    let json = false;
    for (const arg of args) {
      if (arg === '--json') json = true;
      else if (arg === '-h' || arg === '--help') {
        io.stdout(HELP);
        return 0;
      } else {
        io.stderr(`otel-agent config: unknown option ${JSON.stringify(arg)}\n\n${HELP}`);
        return USAGE_ERROR_EXIT_CODE;
      }
    }
    const loaded = loadConfig({ env: io.env, appRoot: io.cwd });
    io.stdout(json ? renderJson(loaded) : renderTable(loaded));
    return 0;
  },
};

type Loaded = ReturnType<typeof loadConfig>;

function renderJson(loaded: Loaded): string {
  return JSON.stringify({ config: redactSecrets(loaded.config), sources: loaded.sources, problems: loaded.problems }, null, 2) + '\n';
}

function renderTable(loaded: Loaded): string {
  const rows = ALL_OPTIONS.map((row) => [
    row.envVar ?? row.otelFallbacks[0]?.envVar ?? row.key,
    displayValue(row, loaded.config[row.key]),
    loaded.sources[row.key],
  ]);
  const lines = alignColumns([['VARIABLE', 'VALUE', 'SOURCE'], ...rows]);
  lines.push('');
  if (loaded.problems.length === 0) {
    lines.push('Problems: none');
  } else {
    lines.push(`Problems (${loaded.problems.length}):`, ...loaded.problems.map((problem) => `  ${problem}`));
  }
  return lines.join('\n') + '\n';
}

function alignColumns(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((text, column) => (column === row.length - 1 ? text : text.padEnd(widths[column]))).join('  '));
}
