/** The replacement for a secret whose shape is not worth keeping. */
export const MASK = '***';

/**
 * One kind of sensitive text. `mightMatch` is the cheap pre-check (a substring or a character the
 * detector cannot do without) that lets the common, harmless string skip the detector entirely;
 * `mask` returns its input unchanged (the same string) when it finds nothing.
 */
export interface Detector {
  readonly name: string;
  mightMatch(text: string): boolean;
  mask(text: string): string;
  /**
   * Facts (text-features.ts bits) that hold for every text this detector changes: when one is false
   * for a long text, the detector is skipped without running `mightMatch`. Facts are shared between
   * detectors and found once per text. Absent: the detector always runs its own pre-check.
   */
  readonly requires?: number;
}

/** A detector that is one global RegExp and a replacement (a `replace()` string or callback). */
export interface RegExpDetectorSpec {
  name: string;
  /**
   * A substring the text must contain, or a test, before the regex runs. Omitted when `requires` is
   * the whole pre-check (runDetectors always checks it first).
   */
  trigger?: string | ((text: string) => boolean);
  regex: RegExp;
  /** As for String.prototype.replace: the callback gets the match, the groups, then the offset and the whole text. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- String.prototype.replace passes groups (string | undefined), offset and text: each detector declares what it reads
  replace: string | ((match: string, ...rest: any[]) => string);
  requires?: number;
}

export function regExpDetector(spec: RegExpDetectorSpec): Detector {
  const { name, trigger, regex, replace, requires } = spec;
  if (!regex.global) throw new Error(`detector ${name}: regex must have the g flag`);
  if (trigger === undefined && requires === undefined) throw new Error(`detector ${name}: needs a trigger or requires`);
  const mightMatch = typeof trigger === 'string' ? (text: string) => text.includes(trigger) : (trigger ?? alwaysPossible);
  return {
    name,
    requires,
    mightMatch,
    // replace() with a global regex starts from 0 and is synchronous, so sharing the regex is safe.
    mask: (text) => text.replace(regex, replace as (match: string) => string),
  };
}

function alwaysPossible(): boolean {
  return true;
}
