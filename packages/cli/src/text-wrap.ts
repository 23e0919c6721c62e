/** Wrapping help and notes to a terminal's width. */

/** A usage line's parts: words, with each bracketed group ("[--tls-ca FILE [--tls-cert FILE]]") kept whole. */
export function usageParts(usage: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let part = '';
  for (const ch of usage) {
    if (ch === ' ' && depth === 0) {
      if (part) parts.push(part);
      part = '';
      continue;
    }
    if (ch === '[') depth++;
    if (ch === ']') depth = Math.max(0, depth - 1);
    part += ch;
  }
  if (part) parts.push(part);
  return parts;
}

/** Words of `text` in lines of at most `width` characters: the first starts with `first`, the rest with `rest`. A word longer than a line gets a line of its own. */
export function wrapWords(text: string | readonly string[], width: number, first = '', rest = first): string[] {
  const lines: string[] = [];
  let line = first;
  let empty = true;
  for (const word of typeof text === 'string' ? text.split(/\s+/).filter(Boolean) : text) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = rest;
      empty = true;
    }
    line += (empty ? '' : ' ') + word;
    empty = false;
  }
  if (!empty || lines.length === 0) lines.push(line);
  return lines;
}

/**
 * Paragraphs (separated by blank lines) reflowed to `width`. Inside a
 * paragraph, a line that starts with "- " or with spaces starts a new item,
 * kept with its indentation, continued under its text.
 */
export function reflow(text: string, width: number): string {
  return text
    .trim()
    .split(/\n\s*\n/)
    .map((paragraph) => {
      const items: string[] = [];
      for (const raw of paragraph.split('\n')) {
        if (items.length === 0 || /^(\s+|- )/.test(raw)) items.push(raw);
        else items[items.length - 1] += ` ${raw.trim()}`;
      }
      return items
        .flatMap((item) => {
          const lead = /^\s*(- )?/.exec(item)![0];
          return wrapWords(item.slice(lead.length), width, lead, ' '.repeat(lead.length));
        })
        .join('\n');
    })
    .join('\n\n');
}
