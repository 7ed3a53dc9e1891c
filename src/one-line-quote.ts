/**
 * Quoting a value for a one-line diagnostic (`otel-agent: X="…" …`): whatever the value holds, quotes,
 * newlines and other control characters cannot break the line. U+2028/U+2029 are escaped too: some
 * log viewers treat them as line breaks. Long values (a pasted certificate, a JSON blob) are cut.
 */

/**
 * `asTyped`: backslashes are shown as the user typed them (a regex `\d` stays `\d`), only `"` and
 * control characters are escaped (`\u000a`). Otherwise JSON string syntax (`\\d`, `\n`).
 */
export function quoteForLine(value: string, maxChars: number, asTyped = false): string {
  const chars = Array.from(value);
  const shortened = chars.length > maxChars ? chars.slice(0, maxChars).join('') + '…' : value;
  if (!asTyped)
    return JSON.stringify(shortened)
      .replace(/\u2028/g, '\\u2028')
      .replace(/\u2029/g, '\\u2029');
  // eslint-disable-next-line no-control-regex -- escaping control characters is the point
  const escaped = shortened.replace(/["\u0000-\u001f\u007f\u2028\u2029]/g, (char) =>
    char === '"' ? '\\"' : `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `"${escaped}"`;
}
