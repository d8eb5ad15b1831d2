// IPv4 address allocation for pods and service VIPs from a CIDR (pure). The first host address of the
// pod CIDR is the node (the bridge, where the control plane listens).

export interface Cidr {
  readonly base: number;
  readonly bits: number;
  readonly text: string;
}

export function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

export function intToIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function parseCidr(text: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const ip = ipToInt(m[1] as string);
  const bits = Number(m[2]);
  if (ip === undefined || bits < 8 || bits > 28) return undefined;
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (ip & mask) >>> 0, bits, text: `${intToIp((ip & mask) >>> 0)}/${bits}` };
}

export function contains(cidr: Cidr, ip: string): boolean {
  const n = ipToInt(ip);
  if (n === undefined) return false;
  const mask = (0xffffffff << (32 - cidr.bits)) >>> 0;
  return ((n & mask) >>> 0) === cidr.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  const mask = (0xffffffff << (32 - bits)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/** Hands out addresses of a CIDR in order, skipping the network address, the first `reserved` hosts and the broadcast. */
export class AddressPool {
  private readonly used = new Set<number>();
  private next: number;
  private readonly first: number;
  private readonly last: number;

  constructor(
    readonly cidr: Cidr,
    reserved = 1,
  ) {
    this.first = cidr.base + 1 + reserved;
    this.last = cidr.base + 2 ** (32 - cidr.bits) - 2;
    this.next = this.first;
  }

  /** The i-th host address (1 = the first host), e.g. the node's. */
  host(i: number): string {
    return intToIp(this.cidr.base + i);
  }

  /** Marks an address as taken (a fixed clusterIP, or one kept across a restart); false if it is not usable. */
  claim(ip: string): boolean {
    const n = ipToInt(ip);
    if (n === undefined || !contains(this.cidr, ip) || n < this.first || n > this.last || this.used.has(n)) return false;
    this.used.add(n);
    return true;
  }

  allocate(): string {
    const size = this.last - this.first + 1;
    for (let i = 0; i < size; i++) {
      const n = this.first + ((this.next - this.first + i) % size);
      if (!this.used.has(n)) {
        this.used.add(n);
        this.next = n + 1 > this.last ? this.first : n + 1;
        return intToIp(n);
      }
    }
    throw new Error(`no free address left in ${this.cidr.text}`);
  }

  release(ip: string): void {
    const n = ipToInt(ip);
    if (n !== undefined) this.used.delete(n);
  }
}
