/** What every `otel-agent <command>` module exports; main.ts only dispatches. */

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export interface CliCommand {
  name: string;
  /** One line for `otel-agent --help`, starting with the arguments, e.g. "[--json]  Print ...". */
  usage: string;
  /** Returns the exit code: 0 success, 2 usage error; a promise of it for commands that read files. */
  run(args: readonly string[], io: CliIo): number | Promise<number>;
}

export const USAGE_ERROR_EXIT_CODE = 2;
