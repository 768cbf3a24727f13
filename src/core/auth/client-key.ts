// The key a client's failures are counted under: its IPv4 address, or the /64 network of an IPv6
// one (one subscriber usually holds a whole /64, so counting per address would let it rotate).

export function clientKey(address: string | null | undefined): string {
  const text = (address ?? '').trim().toLowerCase().slice(0, 64);
  if (text === '') return 'unknown';
  // An IPv4-mapped IPv6 address is the IPv4 one.
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (mapped) return mapped[1]!;
  if (!text.includes(':')) return text;
  const groups = expandIpv6(text);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : text;
}

/** The eight groups of an IPv6 address, or null when it is not one. */
function expandIpv6(text: string): string[] | null {
  const zoneless = text.split('%')[0]!;
  const halves = zoneless.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return groups.every((g) => /^[0-9a-f]{1,4}$/.test(g)) ? groups.map((g) => g.replace(/^0+(?=.)/, '')) : null;
}
