// Where storage may connect (SSRF guard for storageUri and storage endpoints). Refused by default:
//   - link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, 100.100.100.200, fd00:ec2::254, ...);
//   - inferd's own listening ports on this machine's addresses (the control API would hand out Secrets).
// Loopback stays allowed otherwise: a model server on 127.0.0.1 is the normal case on a laptop and in tests.
// The check runs on every address a name resolves to (a custom DNS lookup) and on the socket's real peer, so a
// name that resolves to a metadata address is caught too; each redirect hop goes through the same check.

import dns, { type LookupAddress } from 'node:dns';
import { BlockList, isIP, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { InferdError } from '../errors.js';
import { storageError } from './storage-error.js';

export interface EgressPolicy {
  /** Ports inferd listens on; refused on loopback, unspecified and this machine's interface addresses. */
  ownPorts?: () => readonly number[];
  /** Turns the guard off (`inferd serve --storage-allow-internal`). */
  allowInternal?: boolean;
  /** Refuse loopback too (set for redirect hops that started on a non-loopback server). */
  denyLoopback?: boolean;
}

const internal = new BlockList();
internal.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local: AWS/GCP/Azure/OpenStack metadata 169.254.169.254
internal.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
internal.addAddress('192.0.0.192', 'ipv4'); // Oracle Cloud metadata
internal.addAddress('168.63.129.16', 'ipv4'); // Azure wire server
internal.addSubnet('fe80::', 10, 'ipv6'); // IPv6 link-local
internal.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addSubnet('0.0.0.0', 8, 'ipv4'); // "this host": connecting to 0.0.0.0 reaches the local machine
loopback.addAddress('::1', 'ipv6');
loopback.addAddress('::', 'ipv6');

/** An IPv4 address hidden in an IPv6 one (::ffff:a.b.c.d, ::a.b.c.d, 64:ff9b::a.b.c.d), else the address as is. */
export function normalizeAddress(address: string): { address: string; family: 'ipv4' | 'ipv6' } {
  const a = address.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (isIP(a) === 4) return { address: a, family: 'ipv4' };
  const groups = expandIpv6(a);
  if (groups) {
    const zero5 = groups.slice(0, 5).every((g) => g === 0);
    const mapped = zero5 && groups[5] === 0xffff; // ::ffff:a.b.c.d
    const compat = zero5 && groups[5] === 0 && groups[6] !== 0; // ::a.b.c.d (deprecated, still routed by some)
    const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
    if (mapped || compat || nat64) {
      const hi = groups[6]!;
      const lo = groups[7]!;
      return { address: `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`, family: 'ipv4' };
    }
  }
  return { address: a, family: 'ipv6' };
}

function expandIpv6(a: string): number[] | undefined {
  if (isIP(a) !== 6) return undefined;
  let s = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    s = `${s.slice(0, -v4[1]!.length)}${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [left, right] = s.includes('::') ? s.split('::') : [s, undefined];
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const fill = right === undefined ? [] : Array(8 - l.length - r.length).fill('0');
  const all = [...l, ...fill, ...r].map((g) => Number.parseInt(g, 16));
  return all.length === 8 && all.every((n) => Number.isInteger(n)) ? all : undefined;
}

function localAddresses(): Set<string> {
  const out = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) out.add(normalizeAddress(i.address).address);
  }
  return out;
}

/** Why connecting to address:port is refused, or undefined when it is allowed. */
export function refusal(address: string, port: number, policy: EgressPolicy = {}): string | undefined {
  if (policy.allowInternal) return undefined;
  const n = normalizeAddress(address);
  if (internal.check(n.address, n.family)) return `${n.address} is a link-local or cloud metadata address`;
  const isLoop = loopback.check(n.address, n.family);
  if (policy.denyLoopback && isLoop) {
    return `a redirect from another host may not lead to this machine's loopback address ${n.address}`;
  }
  const own = policy.ownPorts?.() ?? [];
  if (own.includes(port) && (isLoop || localAddresses().has(n.address))) {
    return `${n.address}:${port} is inferd's own listening address`;
  }
  return undefined;
}

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const n = normalizeAddress(address);
  return loopback.check(n.address, n.family);
}

export function refusedError(what: string, why: string): InferdError {
  return storageError(
    'StorageAddressRefused',
    `refusing to fetch ${what}: ${why} (inferd serve --storage-allow-internal turns this check off)`,
  );
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/** A dns.lookup for http.request that drops refused addresses (and fails when none is left). */
export function guardedLookup(port: number, policy: EgressPolicy, what: string) {
  return (hostname: string, options: dns.LookupOptions, cb: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) {
        cb(err, []);
        return;
      }
      const ok = addresses.filter((a) => refusal(a.address, port, policy) === undefined);
      if (ok.length === 0) {
        const why = addresses[0] ? refusal(addresses[0].address, port, policy) : undefined;
        cb(refusedError(what, `${hostname} resolves to a refused address: ${why ?? 'none'}`) as never, []);
        return;
      }
      if (options.all) cb(null, ok);
      else cb(null, ok[0]!.address, ok[0]!.family);
    });
  };
}

/** Checks the peer a socket is (or will be) connected to; destroys it with the refusal when refused. */
export function guardSocket(socket: Socket, policy: EgressPolicy, what: string): void {
  const check = () => {
    const addr = socket.remoteAddress;
    if (addr === undefined) return;
    const why = refusal(addr, socket.remotePort ?? 0, policy);
    if (why) socket.destroy(refusedError(what, why));
  };
  if (socket.remoteAddress !== undefined) check();
  else socket.once('connect', check);
}
