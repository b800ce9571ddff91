/**
 * IPv6 address text and sockaddr_in6 bytes (spec/inet6.ts): canonical text round-trips
 * through the 16 bytes, and the forms sockspec compares as strings are those glibc's
 * inet_ntop prints for the addresses in scope.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIpv6, formatIpv6, in4View, in6View, mappedV4, parseIpv6, sockaddrBytes, sockaddrOutHex } from '../../spec/inet6.js';
import { AF_INET, AF_INET6 } from '../../spec/constants.js';

const FC_SEED = 20261121;

describe('spec/inet6', () => {
  it('round-trips any 16 bytes through canonical text', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (b) => {
      const text = formatIpv6(b);
      expect(parseIpv6(text)).toEqual(b);
      expect(canonicalIpv6(text)).toBe(text);
    }), { seed: FC_SEED, numRuns: 500 });
  });

  it('prints the canonical forms', () => {
    expect(canonicalIpv6('0:0:0:0:0:0:0:1')).toBe('::1');
    expect(canonicalIpv6('0::')).toBe('::');
    expect(canonicalIpv6('::FFFF:7f00:1')).toBe('::ffff:127.0.0.1');
    expect(canonicalIpv6('fe80:0:0:0:0:0:0:1')).toBe('fe80::1');
    expect(canonicalIpv6('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalIpv6('1:0:2:3:4:5:6:7')).toBe('1:0:2:3:4:5:6:7');
    expect(parseIpv6('1::2::3')).toBeUndefined();
    expect(parseIpv6('::ffff:1.2.3.256')).toBeUndefined();
    expect(mappedV4('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(mappedV4('::1')).toBeUndefined();
  });

  it('lays out sockaddr_in6 and reads either layout as the kernel does', () => {
    const b = sockaddrBytes({ family: AF_INET6, addr: 'fe80::1', port: 5000, flowinfo: 0x12345, scope_id: 1 });
    expect(Buffer.from(b.subarray(0, 28)).toString('hex')).toBe('0a00138800012345fe80000000000000000000000000000101000000');
    expect(sockaddrOutHex('::ffff:127.0.0.1', 80)).toBe('0a0000500000000000000000000000000000ffff7f00000100000000');
    expect(sockaddrOutHex('127.0.0.1', 80)).toBe('020000507f0000010000000000000000');
    expect(in4View({ family: AF_INET, addr: '::1', port: 1, flowinfo: 0x7f000001 })).toBe('127.0.0.1');
    expect(in6View({ family: AF_INET6, addr: '127.0.0.1', port: 1 })).toEqual({ addr: '::', flowinfo: 0x7f000001, scope_id: 0 });
  });
});
