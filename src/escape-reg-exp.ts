/** `text` as a RegExp source that matches it literally (also inside a character class: `/` and `-` too). */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}
