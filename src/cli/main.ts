#!/usr/bin/env node
/**
 * The `otel-agent` bin: a dispatcher only. Each command is its own module, required on demand
 * so `otel-agent config` stays fast. Nothing here may import @opentelemetry/*.
 */
import type { CliCommand, CliIo } from './command';
import { USAGE_ERROR_EXIT_CODE } from './command';
import { errorMessage } from '../error-message';

/** Add a command here: its module exports a CliCommand. */
const COMMANDS: Record<string, () => CliCommand> = {
  config: () => (require('./config-command') as typeof import('./config-command')).configCommand,
  report: () => (require('./report-command') as typeof import('./report-command')).reportCommand,
};

function usage(): string {
  const commands = Object.values(COMMANDS).map((load) => load());
  const width = Math.max(...commands.map((command) => command.name.length));
  const lines = commands.map((command) => `  ${command.name.padEnd(width)} ${command.usage}`);
  return `Usage: otel-agent <command> [options]\n\nCommands:\n${lines.join('\n')}\n\nRun \`otel-agent <command> --help\` for a command's options.\n`;
}

const processIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
};

/** A number for synchronous commands (config), a promise for the ones that read files (report). */
export function main(args: readonly string[], io: CliIo = processIo): number | Promise<number> {
  const [name, ...rest] = args;
  if (name === '-h' || name === '--help' || name === 'help') {
    io.stdout(usage());
    return 0;
  }
  const load = name === undefined ? undefined : COMMANDS[name];
  if (load === undefined) {
    io.stderr(`${name === undefined ? 'otel-agent: no command given' : `otel-agent: unknown command ${JSON.stringify(name)}`}\n\n${usage()}`);
    return USAGE_ERROR_EXIT_CODE;
  }
  const failed = (error: unknown) => {
    io.stderr(`otel-agent: ${name} failed (${errorMessage(error)})\n`);
    return 1;
  };
  try {
    const code = load().run(rest, io);
    return typeof code === 'number' ? code : code.catch(failed);
  } catch (error) {
    return failed(error);
  }
}

if (require.main === module) {
  const code = main(process.argv.slice(2));
  if (typeof code === 'number') process.exitCode = code;
  else void code.then((exitCode) => (process.exitCode = exitCode));
}
