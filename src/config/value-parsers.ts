/**
 * Small typed readers for environment values. Each takes a trimmed, non-blank string, reports what
 * is wrong with it (never throws) and returns undefined when the value cannot be used.
 * Number, JSON, URL and enum checks are env-var's accessors; the rest is what env-var lacks
 * (yes/no booleans, ranges, key=value lists, filesystem checks).
 */
import * as fs from 'fs';
import * as path from 'path';
import { accessors } from 'env-var';
import type { ValueParser } from './option-types';
import { FALSE_WORDS, TRUE_WORDS } from './master-switch';

/**
 * Reads variables; a blank value counts as unset. A plain property read: env-var's
 * `from(env).get(name).asString()` returns the same value but builds ~30 accessor closures per call
 * (~0.7 ms of every config load for the ~100 variables read, measured in a warm loop).
 */
export function createEnvReader(env: NodeJS.ProcessEnv): (variable: string) => string | undefined {
  return (variable) => {
    const value = env[variable];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  };
}

export const parseBoolean: ValueParser<boolean> = (raw, variable, ctx) => {
  const word = raw.toLowerCase();
  if (TRUE_WORDS.includes(word)) return { value: true };
  if (FALSE_WORDS.includes(word)) return { value: false };
  ctx.report({ variable, shownValue: raw, whatIsWrong: 'is not a boolean (expected true/false, 1/0, yes/no or on/off)' });
  return undefined;
};

/** Whole numbers only: `1e3`, `12abc` and `1.5` are rejected rather than guessed at. */
export function integerBetween(min: number, max: number, unit = ''): ValueParser<number> {
  const range = `${min} and ${max}${unit}`;
  return (raw, variable, ctx) => {
    // env-var's asInt insists on the canonical form; accept a leading '+' or zeros, which are unambiguous.
    const canonical = raw.replace(/^\+/, '').replace(/^(-?)0+(?=\d)/, '$1');
    let value: number | undefined;
    try {
      value = accessors.asInt(canonical);
    } catch {
      value = undefined;
    }
    if (value === undefined || value < min || value > max) {
      ctx.report({ variable, shownValue: raw, whatIsWrong: `is not a whole number between ${range}` });
      return undefined;
    }
    return { value };
  };
}

const DECIMAL_NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

export function numberBetween(min: number, max: number): ValueParser<number> {
  return (raw, variable, ctx) => {
    let value: number | undefined;
    try {
      // The regex first: parseFloat-based accessors accept '0x1' as 0.
      value = DECIMAL_NUMBER.test(raw) ? accessors.asFloat(raw) : undefined;
    } catch {
      value = undefined;
    }
    if (value === undefined || !(value >= min && value <= max)) {
      ctx.report({ variable, shownValue: raw, whatIsWrong: `is not a number between ${min} and ${max}` });
      return undefined;
    }
    return { value };
  };
}

/** Case-insensitive choice; `noun` names the kind of thing in the message ("log level"). */
export function oneOf<T extends string>(choices: readonly T[], noun: string): ValueParser<T> {
  return (raw, variable, ctx) => {
    try {
      return { value: accessors.asEnum(raw.toLowerCase(), choices) };
    } catch {
      ctx.report({ variable, shownValue: raw, whatIsWrong: `is not a known ${noun} (expected ${choices.join(', ')})` });
      return undefined;
    }
  };
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** A free-form label (version, environment): printable and of bounded length. */
export function printableText(maxLength: number): ValueParser<string> {
  return (raw, variable, ctx) => {
    if (raw.length > maxLength || CONTROL_CHARACTERS.test(raw)) {
      ctx.report({ variable, shownValue: raw, whatIsWrong: `is not printable text of at most ${maxLength} characters` });
      return undefined;
    }
    return { value: raw };
  };
}

/** An identifier-like value checked against a pattern; `expected` describes the pattern to a human. */
export function textMatching(pattern: RegExp, expected: string, noun: string): ValueParser<string> {
  return (raw, variable, ctx) => {
    if (!pattern.test(raw)) {
      ctx.report({ variable, shownValue: raw, whatIsWrong: `is not a valid ${noun} (expected ${expected})` });
      return undefined;
    }
    return { value: raw };
  };
}

/** `user:password@` in a URL is a credential; problem lines and the CLI show `user:***@`. */
export function redactUrlCredentials(text: string): string {
  return text.replace(/^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/, '$1:***@');
}

/** An absolute http: or https: URL with a host; returned as written, since exporters use it verbatim. */
export const parseHttpUrl: ValueParser<string> = (raw, variable, ctx) => {
  let url: URL | undefined;
  try {
    url = accessors.asUrlObject(raw);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    // 'localhost:4317' parses as a URL whose scheme is 'localhost:': the commonest mistake, so name the fix.
    const hint = /^[\w.-]+:\d+(\/|$)/.test(raw) ? ` (did you mean http://${raw}?)` : '';
    ctx.report({ variable, shownValue: redactUrlCredentials(raw), whatIsWrong: `is not an absolute http:// or https:// URL with a host${hint}` });
    return undefined;
  }
  return { value: raw };
};

/** Splits a comma list: trimmed, lower-cased, empty items dropped, duplicates dropped (first wins). */
export function splitCommaList(raw: string): string[] {
  const items = raw
    .split(',')
    .map((item) => item.trim().toLowerCase())
    .filter((item) => item !== '');
  return [...new Set(items)];
}

/** In a message about one item of a list: name the item only when the value holds more than one. */
export function describeItem(items: readonly string[], item: string): string {
  return items.length > 1 ? ` ${JSON.stringify(item)}` : '';
}

// RFC 9110 token: the characters allowed in a header field name.
const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export interface KeyValueListOptions {
  /** 'header' checks names are HTTP tokens and never echoes values; 'attribute' only requires a key. */
  kind: 'header' | 'attribute';
}

/**
 * `k=v,k2=v2` as used by OTEL_RESOURCE_ATTRIBUTES and OTEL_EXPORTER_OTLP_HEADERS: entries split on ',',
 * key and value on the first '=' (values may contain '='), both trimmed, values percent-decoded
 * (https://opentelemetry.io/docs/specs/otel/protocol/exporter/#specifying-headers-via-environment-variables).
 * A bad entry is one problem line and is skipped; the others are kept.
 * Returns undefined when no entry is usable, so the next variable in the chain gets its turn.
 */
export function keyValueList(options: KeyValueListOptions): ValueParser<Record<string, string>> {
  const isHeader = options.kind === 'header';
  return (raw, variable, ctx) => {
    const entries = raw
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    // Header values are secrets (tokens, API keys): show the value's shape with every value masked.
    const shownValue = isHeader ? redactKeyValueList(raw) : raw;
    const result: Record<string, string> = {};
    let usable = 0;
    entries.forEach((entry, index) => {
      const position = entries.length > 1 ? ` at position ${index + 1}` : '';
      const equals = entry.indexOf('=');
      if (equals < 0) {
        const shownEntry = isHeader ? '' : ` ${JSON.stringify(entry)}`;
        ctx.report({ variable, shownValue, whatIsWrong: `has an entry${shownEntry} without "="${position} (expected key=value)`, instead: 'skipping it' });
        return;
      }
      const key = entry.slice(0, equals).trim();
      const encodedValue = entry.slice(equals + 1).trim();
      if (key === '') {
        ctx.report({ variable, shownValue, whatIsWrong: `has an entry with an empty key${position}`, instead: 'skipping it' });
        return;
      }
      if (isHeader && !HTTP_TOKEN.test(key)) {
        ctx.report({
          variable,
          shownValue,
          whatIsWrong: `has an invalid header name ${JSON.stringify(key)} (letters, digits and !#$%&'*+.^_\`|~- only)`,
          instead: 'skipping it',
        });
        return;
      }
      let value: string;
      try {
        value = decodeURIComponent(encodedValue);
      } catch {
        if (isHeader) {
          // The header is probably still right (a literal '%'); dropping it would break authentication.
          ctx.report({
            variable,
            shownValue,
            whatIsWrong: `has a value for ${JSON.stringify(key)} that is not valid percent-encoding`,
            instead: 'using it as written',
          });
          value = encodedValue;
        } else {
          ctx.report({
            variable,
            shownValue,
            whatIsWrong: `has a value for ${JSON.stringify(key)} that is not valid percent-encoding`,
            instead: 'skipping it',
          });
          return;
        }
      }
      result[key] = value;
      usable++;
    });
    if (usable === 0) {
      if (entries.length === 0) {
        ctx.report({ variable, shownValue, whatIsWrong: 'has no key=value entry', instead: 'ignoring it' });
      }
      return undefined;
    }
    return { value: result };
  };
}

/** `authorization=Bearer x,junk` -> `authorization=***,***`: keys stay readable, nothing secret does. */
export function redactKeyValueList(raw: string): string {
  return raw
    .split(',')
    .map((entry) => {
      const equals = entry.indexOf('=');
      return equals < 0 ? (entry.trim() === '' ? entry : '***') : `${entry.slice(0, equals)}=***`;
    })
    .join(',');
}

/** A file the agent must read (a CA bundle); returned resolved against cwd. */
export const parseReadableFile: ValueParser<string> = (raw, variable, ctx) => {
  const file = path.resolve(ctx.cwd, raw);
  try {
    fs.accessSync(file, fs.constants.R_OK);
    if (!fs.statSync(file).isFile()) throw new Error('not a file');
  } catch {
    ctx.report({ variable, shownValue: raw, whatIsWrong: 'is not a readable file' });
    return undefined;
  }
  return { value: file };
};

const PEM_CERTIFICATE = '-----BEGIN CERTIFICATE-----';
const MAX_CA_FILE_BYTES = 16 * 1024 * 1024;

/** A readable PEM file whose content `contains` what it must hold; `noun` names it in problem lines. */
function pemFile(contains: (text: string) => boolean, missing: string, noun: string): ValueParser<string> {
  return (raw, variable, ctx) => {
    const readable = parseReadableFile(raw, variable, ctx);
    if (readable === undefined) return undefined;
    let problem: string | undefined;
    try {
      if (fs.statSync(readable.value).size > MAX_CA_FILE_BYTES) problem = `is larger than 16 MiB, too large for ${noun}`;
      else if (!contains(fs.readFileSync(readable.value, 'latin1'))) problem = `contains no ${missing}`;
    } catch {
      problem = 'is not a readable file';
    }
    if (problem === undefined) return readable;
    ctx.report({ variable, shownValue: raw, whatIsWrong: problem });
    return undefined;
  };
}

/**
 * A readable file with at least one PEM certificate in it. Without the content check a wrong file
 * (an empty one, a key, a DER file) was accepted silently and every TLS export then failed with an
 * error that does not name TRACING_CA_FILE.
 */
export const parsePemCertificateFile = pemFile((text) => text.includes(PEM_CERTIFICATE), `PEM certificate (${PEM_CERTIFICATE})`, 'a CA bundle');

const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

/** A readable file with a PEM private key in it (a client key for mutual TLS). */
export const parsePemPrivateKeyFile = pemFile((text) => PEM_PRIVATE_KEY.test(text), 'PEM private key', 'a key');

/**
 * Why the agent could not write `file`, or undefined if it could. Checks only: creating the file
 * is the exporter's job, and config loading must leave no trace on disk.
 */
export function whyNotWritable(file: string): string | undefined {
  let stat: fs.Stats | undefined;
  try {
    stat = fs.statSync(file);
  } catch {
    stat = undefined;
  }
  if (stat?.isDirectory()) return 'is a directory, not a file';
  if (stat !== undefined) return isAccessible(file, fs.constants.W_OK) ? undefined : 'is a file that is not writable';
  const directory = path.dirname(file);
  let directoryStat: fs.Stats | undefined;
  try {
    directoryStat = fs.statSync(directory);
  } catch {
    return `is in a directory that does not exist (${directory})`;
  }
  if (!directoryStat.isDirectory()) return `is in ${directory}, which is not a directory`;
  const virtual = virtualFileSystemOf(directory);
  if (virtual !== undefined) return `is in ${directory}, on the ${virtual} virtual file system where files cannot be created`;
  return isAccessible(directory, fs.constants.W_OK) ? undefined : `is in a directory that is not writable (${directory})`;
}

/** Linux statfs magic numbers (linux/magic.h) of file systems that refuse new regular files. */
const VIRTUAL_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
]);

/**
 * /proc and /sys pass access(W_OK) for root (tests and many containers run as root), yet creating a
 * file there fails with ENOENT; without this check TRACING_FILE_PATH=/proc/x.jsonl was accepted silently.
 */
function virtualFileSystemOf(directory: string): string | undefined {
  try {
    return VIRTUAL_FILE_SYSTEMS.get(Number(fs.statfsSync(directory).type));
  } catch {
    return undefined;
  }
}

function isAccessible(target: string, mode: number): boolean {
  try {
    fs.accessSync(target, mode);
    return true;
  } catch {
    return false;
  }
}

/** A file the agent will write (JSON lines); returned resolved against cwd. */
export const parseWritableFilePath: ValueParser<string> = (raw, variable, ctx) => {
  const file = path.resolve(ctx.cwd, raw);
  const reason = whyNotWritable(file);
  if (reason !== undefined) {
    ctx.report({ variable, shownValue: raw, whatIsWrong: reason });
    return undefined;
  }
  return { value: file };
};
