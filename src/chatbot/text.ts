/**
 * Cutting long text for DingTalk's per-message limits: never inside a surrogate pair (a cut
 * emoji shows as garbage), at a line break where one is near, and without leaving a code
 * block open across two messages.
 */

/**
 * The longest prefix of `text` with at most `max` UTF-16 units that does not end between
 * the two halves of a surrogate pair.
 *
 * @example
 * ```ts
 * clip('ab😀', 3); // 'ab' — the emoji is two units and would be cut in half
 * ```
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

/**
 * Splits `text` into parts of at most `max` UTF-16 units: at the last line break of a part
 * when it lies in the part's second half, else mid-line (on a character boundary). A part
 * that ends inside a ``` code block closes it, and the next part reopens it.
 *
 * @example
 * ```ts
 * for (const part of splitText(answer, 3500)) await reply.markdown('Answer', part);
 * ```
 */
export function splitText(text: string, max: number): string[] {
  max = Math.max(max, 32); // room for the fences, and progress on every round
  const parts: string[] = [];
  while (text.length > max) {
    let head = clip(text, max - 4); // 4: a closing "\n```"
    const newline = head.lastIndexOf('\n');
    if (newline > head.length / 2) head = head.slice(0, newline);
    text = text.slice(head.length).replace(/^\n/, '');
    if ((head.match(/^```/gm)?.length ?? 0) % 2) {
      head += '\n```';
      text = `\`\`\`\n${text}`;
    }
    parts.push(head);
  }
  parts.push(text);
  return parts;
}
