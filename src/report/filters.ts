/** --since / --service / --route: parsing, and what "a span matches" means. */
import type { JsonSpan } from '../sdk/json-lines-exporter';
import type { ReportFilters } from './model';
import { nanosToMs } from './read-spans';
import { operationOf, serviceOf } from './span-facts';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `10m` -> 600000. Undefined when the text is not a positive number with a unit of ms, s, m, h or d. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (match === null) return undefined;
  const ms = Number(match[1]) * UNIT_MS[match[2]];
  return ms > 0 ? ms : undefined;
}

export function hasFilters(filters: ReportFilters): boolean {
  return filters.sinceMs !== undefined || filters.service !== undefined || filters.route !== undefined;
}

/**
 * A span matches when it ended inside the --since window (counted back from `newestEndMs`, the
 * newest span end in the input, so an old file still has a "last 10 minutes"), belongs to
 * --service, and its operation (http.route, else name) is --route.
 */
export function spanMatches(span: JsonSpan, filters: ReportFilters, newestEndMs: number): boolean {
  return (
    inWindow(span, filters, newestEndMs) &&
    (filters.service === undefined || serviceOf(span) === filters.service) &&
    (filters.route === undefined || operationOf(span) === filters.route)
  );
}

export function inWindow(span: Pick<JsonSpan, 'endTimeUnixNano'>, filters: ReportFilters, newestEndMs: number): boolean {
  return filters.sinceMs === undefined || nanosToMs(span.endTimeUnixNano) >= newestEndMs - filters.sinceMs;
}
