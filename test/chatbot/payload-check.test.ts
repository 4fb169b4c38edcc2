import * as v from 'valibot';
import { expect, it } from 'vitest';
import { check } from '../../src/chatbot/validate.js';
const str = v.optional(v.string());
const schema = v.object({
  msgtype: v.string(), msgId: v.string(), isAdmin: v.optional(v.boolean()), createAt: v.optional(v.number()),
  atUsers: v.optional(v.array(v.object({ dingtalkId: str })), []),
  text: v.optional(v.object({ content: v.string() })),
  content: v.optional(v.object({ richText: v.optional(v.array(v.object({ text: str }))) })),
});
const base = { msgtype: 'text', msgId: 'm', isAdmin: true, createAt: 1, atUsers: [{ dingtalkId: 'd' }], text: { content: 'x' }, content: { richText: [{ text: 't' }] } };
const vals = [null, undefined, 1, 'a', true, [], {}, [1], [{}], { content: 1 }, { content: 'y' }, [{ text: 1 }], [{ dingtalkId: 1 }], NaN];
// check() skips valibot on the valid path with a walk derived from the schema: it must accept exactly what valibot accepts
it('accepts and rejects exactly what valibot does, for every field mutated to every JSON kind', () => {
  let n = 0;
  const paths: Array<(o: any, x: unknown) => void> = [
    (o, x) => (o.msgtype = x), (o, x) => (o.msgId = x), (o, x) => (o.isAdmin = x), (o, x) => (o.createAt = x), (o, x) => (o.atUsers = x),
    (o, x) => (o.text = x), (o, x) => (o.text.content = x), (o, x) => (o.content = x), (o, x) => (o.content.richText = x), (o, x) => (o.atUsers[0].dingtalkId = x),
    (o, x) => (o.content.richText[0] = x), (o, x) => delete o[x as string],
  ];
  for (const set of paths) for (const x of [...vals, 'msgtype', 'text', 'atUsers']) {
    const o = structuredClone(base);
    set(o, x);
    const ok = v.safeParse(schema, o).success;
    let ours = true;
    try { check(schema, o, 't'); } catch { ours = false; }
    expect([JSON.stringify(o), ours]).toEqual([JSON.stringify(o), ok]);
    n++;
  }
  for (const top of vals) {
    let ours = true;
    try { check(schema, top, 't'); } catch { ours = false; }
    expect(ours).toBe(v.safeParse(schema, top).success);
  }
  expect(n).toBeGreaterThan(100);
});
