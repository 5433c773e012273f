import { isIPv6 } from 'node:net';

/** The 8 16-bit words of a valid IPv6 address (an embedded dotted IPv4 tail included). */
function ipv6Words(address: string): number[] {
  let text = address;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const [a, b, c, d] = text.slice(lastColon + 1).split('.').map(Number);
    tail.push((a << 8) | b, (c << 8) | d);
    text = text.slice(0, lastColon + 1) + '0:0';
  }
  const [head, rest] = text.split('::');
  const parse = (part: string | undefined) => (part ? part.split(':').map((word) => parseInt(word, 16)) : []);
  let words: number[];
  if (rest === undefined) words = parse(head);
  else {
    const left = parse(head);
    const right = parse(rest);
    words = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  if (tail.length) words.splice(6, 2, ...tail);
  return words;
}

/**
 * An IP address as PostgreSQL's host(inet) prints it, so an answer built in Node reads as the stored
 * row does: IPv4 as given (validated without leading zeros), IPv6 in lower case with the first
 * longest run of two or more zero words as `::`, and `::a.b.c.d` / `::ffff:a.b.c.d` with the dotted
 * tail (PostgreSQL's inet_net_ntop).
 */
export function canonicalIpAddress(address: string): string {
  if (!isIPv6(address)) return address;
  const words = ipv6Words(address);
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  words.forEach((word, i) => {
    if (word === 0) {
      if (cur.base === -1) cur = { base: i, len: 1 };
      else cur.len++;
    } else if (cur.base !== -1) {
      if (best.base === -1 || cur.len > best.len) best = cur;
      cur = { base: -1, len: 0 };
    }
  });
  if (cur.base !== -1 && (best.base === -1 || cur.len > best.len)) best = cur;
  if (best.base !== -1 && best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += `${words[6] >> 8}.${words[6] & 0xff}.${words[7] >> 8}.${words[7] & 0xff}`;
      break;
    }
    out += words[i].toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}
