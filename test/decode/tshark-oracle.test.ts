/**
 * Independent oracle: a few hundred generated frames of every link type are written to one pcapng
 * file and dissected by tshark; the fields tshark reports must equal what decodeFrame extracts.
 * Skipped when tshark is not installed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DECODE_OK, DecodeLayer } from '../../src/decode/decode-layer';
import { DecodedPacket } from '../../src/decode/packet';
import { decodeFrame } from '../../src/decode/decode-frame';
import {
  arcnet, arp, ETH, ethernet, icmp, icmpv6, ipoib, ipToWords, ipv4, ipv6, LT, fddi, mplsStack, nflog, nullLoopback, pppoeSession, prng, PROTO, randomIpv4, randomIpv6,
  sctp, sll, sll2, tcp, udp,
} from '../support/frames';
import type { Ipv6Ext, VlanTag } from '../support/frames';
import { hasTshark } from '../support/dns-tcp-oracle';
import { writePcapng } from '../support/pcap-writer';
import { LT_80211, ppi, radiotap, wifiBeacon, wifiData, wifiNull } from '../support/wifi-frames';

const LINK_TYPES = [LT.ETHERNET, LT.LINUX_SLL, LT.LINUX_SLL2, LT.NULL, LT.LOOP, LT.RAW, LT.IPV4, LT.IPV6, LT.PPP, LT.PPP_HDLC, LT.PPP_ETHER, LT.C_HDLC, LT_80211.IEEE802_11, LT_80211.RADIOTAP, LT_80211.PPI, LT.NFLOG, LT.FDDI, LT.ARCNET_BSD, LT.ARCNET_LINUX, LT.IPOIB];
const PER_LINK = 60;

/** A random valid network-layer packet (IPv4, IPv6 or, where `arpOk`, ARP) and its EtherType. */
function randomL3(rand: () => number, arpOk: boolean, only?: 4 | 6): { etherType: number; bytes: Buffer } {
  const r = rand();
  const int = (n: number): number => Math.floor(rand() * n);
  if (arpOk && !only && r < 0.08) {
    return { etherType: ETH.ARP, bytes: arp({ op: 1 + int(2), senderIp: randomIpv4(rand), targetIp: randomIpv4(rand) }) };
  }
  // Ports avoid the well-known range so tshark's port-based dissectors stay out of the way;
  // payloads are empty so no heuristic dissector finds an inner packet.
  const sport = 1024 + int(60000);
  const dport = 1024 + int(60000);
  const v6 = only ? only === 6 : r > 0.55;
  const kind = int(5); // tcp, udp, sctp, icmp, other
  let proto: number = [PROTO.TCP, PROTO.UDP, PROTO.SCTP, v6 ? PROTO.ICMPV6 : PROTO.ICMP, 47][kind];
  let l4: Buffer;
  if (kind === 0) l4 = tcp({ sport, dport, flags: int(256), seq: int(2 ** 32), options: rand() < 0.3 ? Buffer.from([2, 4, 5, 0xb4]) : undefined });
  else if (kind === 1) l4 = udp({ sport, dport });
  else if (kind === 2) l4 = sctp({ sport, dport });
  else if (kind === 3) l4 = v6 ? icmpv6({ type: [1, 2, 3, 128, 129][int(5)], code: int(2) }) : icmp({ type: [0, 3, 8, 11][int(4)], code: int(2) });
  else l4 = Buffer.alloc(4);
  if (!v6) {
    const frag = rand();
    const fragOffset = frag < 0.1 ? 8 * (1 + int(1000)) : 0;
    const mf = frag < 0.2 ? rand() < 0.5 || fragOffset === 0 : false;
    if (fragOffset > 0) l4 = Buffer.alloc(16, 0xaa);
    const options = rand() < 0.2 ? Buffer.alloc(4 * (1 + int(3)), 1) : undefined;
    return { etherType: ETH.IPV4, bytes: ipv4({ src: randomIpv4(rand), dst: randomIpv4(rand), proto, id: int(65536), mf, fragOffset, options, ttl: 1 + int(255) }, l4) };
  }
  const ext: Ipv6Ext[] = [];
  if (rand() < 0.3) ext.push({ type: 0 });
  if (rand() < 0.2) ext.push({ type: 60, options: Buffer.alloc(int(12)) });
  if (rand() < 0.15) ext.push({ type: 43, routingType: 0, segmentsLeft: 0, data: Buffer.alloc(16) });
  if (rand() < 0.2) {
    const offset = rand() < 0.5 ? 0 : 8 * (1 + int(1000));
    ext.push({ type: 44, offset, more: rand() < 0.5, id: int(2 ** 32) });
    if (offset > 0) l4 = Buffer.alloc(16, 0xaa);
  }
  if (rand() < 0.15) ext.push({ type: 51 });
  if (rand() < 0.05) { proto = PROTO.NONE; l4 = Buffer.alloc(0); }
  return { etherType: ETH.IPV6, bytes: ipv6({ src: randomIpv6(rand), dst: randomIpv6(rand), nextHeader: proto, ext }, l4) };
}

function randomFrame(rand: () => number, lt: number): { data: Buffer; outerVid: number } {
  const vlansOut: VlanTag[] = [];
  return { data: randomFrameBytes(rand, lt, vlansOut), outerVid: vlansOut.length > 0 ? vlansOut[0].vid : -1 };
}

let wifiSeq = 0;

/** Builds the frame; for Ethernet, fills `vlans` (cleared first) with the tags used. */
function randomFrameBytes(rand: () => number, lt: number, vlans: VlanTag[]): Buffer {
  vlans.length = 0;
  switch (lt) {
    case LT.ETHERNET: {
      const l3 = randomL3(rand, true);
      const depth = rand() < 0.5 ? 0 : Math.floor(rand() * 4);
      for (let i = 0; i < depth; i++) vlans.push({ tpid: [0x8100, 0x88a8, 0x9100][Math.floor(rand() * 3)], vid: Math.floor(rand() * 4096) });
      // Some IP packets inside a PPPoE session or under an MPLS label stack (1-3 labels).
      const wrap = l3.etherType === ETH.ARP ? 1 : rand();
      if (wrap < 0.15) {
        const ppp = pppoeSession({ protocol: l3.etherType === ETH.IPV4 ? 0x0021 : 0x0057, session: Math.floor(rand() * 65536) }, l3.bytes);
        return ethernet({ etherType: ETH.PPPOE_SESSION, vlans, pad: true }, ppp);
      }
      if (wrap < 0.3) {
        const labels = Array.from({ length: 1 + Math.floor(rand() * 3) }, () => 16 + Math.floor(rand() * 0xfffe0));
        return ethernet({ etherType: rand() < 0.8 ? ETH.MPLS : ETH.MPLS_MULTICAST, vlans, pad: true }, mplsStack(labels, l3.bytes));
      }
      // IEEE 802.3 frames (a length, then LLC/SNAP with the EtherType) and 802.1ah provider backbone
      // frames (I-TAG, then the customer's Ethernet frame).
      if (wrap < 0.37) {
        const snap = Buffer.concat([Buffer.from([0xaa, 0xaa, 0x03, 0, 0, rand() < 0.8 ? 0 : 0xf8, l3.etherType >> 8, l3.etherType & 0xff]), l3.bytes]);
        return ethernet({ etherType: snap.length, vlans, pad: true }, snap);
      }
      if (wrap < 0.44) {
        const itag = Buffer.from([0x00, 0x01, 0x02, 0x03]);
        return ethernet({ etherType: 0x88e7, vlans, pad: true }, Buffer.concat([itag, ethernet({ etherType: l3.etherType, src: '02:00:00:00:00:0c', dst: '02:00:00:00:00:0d' }, l3.bytes)]));
      }
      return ethernet({ etherType: l3.etherType, vlans, pad: true }, l3.bytes);
    }
    case LT.LINUX_SLL: {
      const l3 = randomL3(rand, true);
      return sll({ protocol: l3.etherType, packetType: Math.floor(rand() * 5) }, l3.bytes);
    }
    case LT.LINUX_SLL2: {
      const l3 = randomL3(rand, true);
      return sll2({ protocol: l3.etherType, ifIndex: 1 + Math.floor(rand() * 9) }, l3.bytes);
    }
    case LT.NULL:
    case LT.LOOP: {
      const l3 = randomL3(rand, false);
      const v4 = l3.etherType === ETH.IPV4;
      const r = rand();
      if (lt === LT.NULL && r < 0.3) {
        // The rarer headers Wireshark reads: an EtherType in the family's low half (after two
        // bytes that make it big-endian), PPP in HDLC-like framing, IRIX's 16-bit family in the
        // high half and a 16-bit family written big-endian in the low half (AF_INET only: 2 < 6).
        const k = Math.floor(r / 0.075);
        const head = k === 0 ? [[0x0f, 0x00], [0x00, 0x00], [0x12, 0x34]][Math.floor(rand() * 3)]!.concat([l3.etherType >> 8, l3.etherType & 0xff])
          : k === 1 || !v4 ? [0xff, 0x03, 0x00, v4 ? 0x21 : 0x57]
          : k === 2 ? [0x00, 0x00, 0x02, 0x00] : [0x00, 0x02, 0x00, 0x00];
        return Buffer.concat([Buffer.from(head), l3.bytes]);
      }
      const af = v4 ? 2 : [24, 28, 30][Math.floor(rand() * 3)];
      return nullLoopback(af, l3.bytes, lt === LT.NULL && rand() < 0.7);
    }
    case LT.PPP:
    case LT.PPP_HDLC: {
      // PPP in HDLC-like framing (0xff 0x03), bare, or with a compressed protocol field; on
      // PPP_HDLC also Cisco HDLC framing (0x0f 0x00, then an EtherType).
      const l3 = randomL3(rand, false);
      const v4 = l3.etherType === ETH.IPV4;
      const r = rand();
      if (lt === LT.PPP_HDLC && r < 0.25) return Buffer.concat([Buffer.from([0x0f, 0x00, l3.etherType >> 8, l3.etherType & 0xff]), l3.bytes]);
      const proto = r < 0.6 ? Buffer.from([0, v4 ? 0x21 : 0x57]) : Buffer.from([v4 ? 0x21 : 0x57]);
      return Buffer.concat([rand() < 0.5 ? Buffer.from([0xff, 0x03]) : Buffer.alloc(0), proto, l3.bytes]);
    }
    case LT.PPP_ETHER: {
      const l3 = randomL3(rand, false);
      return pppoeSession({ protocol: l3.etherType === ETH.IPV4 ? 0x0021 : 0x0057, session: Math.floor(rand() * 65536) }, l3.bytes);
    }
    case LT.C_HDLC: {
      const l3 = randomL3(rand, false);
      return Buffer.concat([Buffer.from([rand() < 0.8 ? 0x0f : 0x8f, 0x00, l3.etherType >> 8, l3.etherType & 0xff]), l3.bytes]);
    }
    case LT.FDDI: {
      // Asynchronous LLC frames of any priority with SNAP (ARP too); some SMT frames, synchronous LLC
      // frames and non-SNAP LLC (spanning tree), which carry no IP for either decoder.
      const l3 = randomL3(rand, true);
      const r = rand();
      if (r < 0.05) return fddi({ fc: 0x41, etherType: l3.etherType }, l3.bytes);
      if (r < 0.1) return fddi({ fc: 0xd0, etherType: l3.etherType }, l3.bytes);
      if (r < 0.15) return fddi({ etherType: l3.etherType, llc: Buffer.from([0x42, 0x42, 0x03]) }, Buffer.alloc(35));
      return fddi({ fc: 0x50 + Math.floor(rand() * 16), etherType: l3.etherType }, l3.bytes);
    }
    case LT.ARCNET_BSD:
    case LT.ARCNET_LINUX: {
      // IP by RFC 1051's id (no split flag) or RFC 1201's, IPv6, ARP by either, exception frames
      // (BSD), and IPX, which carries no IP for either decoder.
      const l3 = randomL3(rand, true);
      const linux = lt === LT.ARCNET_LINUX;
      const r = rand();
      if (r < 0.05) return arcnet({ linux, id: 0xfa }, Buffer.alloc(30, 0xff));
      const old = r < 0.4;
      const id = l3.etherType === ETH.IPV6 ? 0xc4 : l3.etherType === ETH.ARP ? (old ? 0xf1 : 0xd5) : old ? 0xf0 : 0xd4;
      return arcnet({ linux, id, exception: !linux && !old && rand() < 0.3, seq: Math.floor(rand() * 65536) }, l3.bytes);
    }
    case LT.IPOIB: {
      const l3 = randomL3(rand, true);
      if (rand() < 0.05) return ipoib({ etherType: 0x8915 }, Buffer.alloc(30, 0xff)); // RoCE: nothing either decodes
      return ipoib({ etherType: l3.etherType, grh: rand() < 0.3 }, l3.bytes);
    }
    case LT.NFLOG: {
      // The packet named by the hardware protocol (ARP too), or by the family alone; a prefix
      // string of any length (padding) before it, sometimes a TLV after it.
      const l3 = randomL3(rand, true);
      const ip = l3.etherType !== ETH.ARP;
      const family = l3.etherType === ETH.IPV6 ? 10 : 2;
      const prefix = rand() < 0.6 ? 'netmon'.slice(0, Math.floor(rand() * 7)) : undefined;
      return nflog({ family, hwProtocol: !ip || rand() < 0.5 ? l3.etherType : undefined, prefix, after: rand() < 0.2 ? [11] : [] }, l3.bytes);
    }
    case LT_80211.IEEE802_11:
    case LT_80211.RADIOTAP:
    case LT_80211.PPI: {
      // Data frames of every header shape (QoS, HT control, four addresses, padding, 802.1H), some
      // that carry no IP for either decoder (protected, fragments followed by more, null data, beacons);
      // lone last fragments, which both decode. (A-MSDUs, which Wireshark splits, are not generated.)
      const r = rand();
      const l3 = randomL3(rand, true);
      const bit = () => rand() < 0.5;
      const qos = bit();
      const pad = lt === LT_80211.RADIOTAP && bit();
      const o = {
        wds: bit(), qos, ht: qos && bit(), pad, bridgeTunnel: rand() < 0.2,
        seq: wifiSeq++, // unique: no fragment of one frame is reassembled with another's
        protect: r < 0.05, fragment: r >= 0.05 && r < 0.08 ? 1 + Math.floor(rand() * 15) : 0, moreFragments: r >= 0.08 && r < 0.13,
      };
      const frame = r >= 0.13 && r < 0.16 ? wifiBeacon() : r >= 0.16 && r < 0.19 ? wifiNull() : wifiData(l3.etherType, l3.bytes, o);
      if (lt === LT_80211.IEEE802_11) return frame;
      if (lt === LT_80211.PPI) return ppi(frame, { fcs: bit() });
      return radiotap(frame, { tsft: bit(), fcs: bit(), pad, extraBitmaps: rand() < 0.3 ? 1 : 0 });
    }
    default:
      return randomL3(rand, false, lt === LT.IPV4 ? 4 : lt === LT.IPV6 ? 6 : undefined).bytes;
  }
}

const FIELDS = [
  'frame.number', 'vlan.id', 'ieee8021ad.id', 'ieee8021ad.svid', 'ieee8021ad.cvid', 'ip.src', 'ip.dst', 'ip.proto', 'ip.flags.mf', 'ip.frag_offset',
  'ipv6.src', 'ipv6.dst', 'ipv6.fraghdr.offset', 'ipv6.fraghdr.more',
  'tcp.srcport', 'tcp.dstport', 'tcp.flags', 'udp.srcport', 'udp.dstport', 'sctp.srcport', 'sctp.dstport',
  'icmp.type', 'icmp.code', 'icmpv6.type', 'icmpv6.code', 'arp.src.proto_ipv4', 'arp.dst.proto_ipv4', 'pppoe.session_id', 'mpls.label',
] as const;

test('decodeFrame agrees with tshark on generated frames of every link type', { skip: !hasTshark() }, () => {
  // A generator per link type: adding one does not change the frames of the others.
  const rands = new Map(LINK_TYPES.map((lt) => [lt, prng(0xc0ffee + lt)]));
  const frames: Array<{ lt: number; data: Buffer; outerVid: number }> = [];
  for (let i = 0; i < PER_LINK; i++) for (const lt of LINK_TYPES) frames.push({ lt, ...randomFrame(rands.get(lt)!, lt) });
  const dir = mkdtempSync(join(tmpdir(), 'netmon-decode-'));
  try {
    const file = join(dir, 'frames.pcapng');
    writePcapng(file, [{
      interfaces: LINK_TYPES.map((linkType) => ({ linkType })),
      blocks: frames.map((f, i) => ({ kind: 'epb' as const, iface: LINK_TYPES.indexOf(f.lt as (typeof LINK_TYPES)[number]), data: f.data, ts: 1700000000 + i })),
    }]);
    const args = ['-r', file, '-n', '-o', 'ip.defragment:FALSE', '-o', 'ipv6.defragment:FALSE', '-T', 'fields', '-E', 'occurrence=a', '-E', 'aggregator=,'];
    for (const f of FIELDS) args.push('-e', f);
    const outText = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
    const lines = outText.split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, frames.length);
    const p = new DecodedPacket();
    let withPorts = 0;
    let fragments = 0;
    let pppoe = 0;
    let mpls = 0;
    const ipByLink = new Map<number, number>();
    for (let i = 0; i < frames.length; i++) {
      const cols = lines[i].split('\t');
      const all = (name: (typeof FIELDS)[number]): string[] => {
        const v = cols[FIELDS.indexOf(name)] ?? '';
        return v === '' ? [] : v.split(',');
      };
      const first = (name: (typeof FIELDS)[number]): string | undefined => all(name)[0];
      const num = (name: (typeof FIELDS)[number]): number | undefined => {
        const v = first(name);
        return v === undefined ? undefined : Number(v);
      };
      const { lt, data } = frames[i];
      const msg = `frame ${i + 1} lt ${lt} ${data.toString('hex')}\n tshark: ${lines[i]}`;
      assert.equal(decodeFrame(data, 0, data.length, data.length, 0, lt, p), DECODE_OK, msg);

      // tshark names 802.1Q tags vlan.id and 802.1ad ones ieee8021ad.{id,svid,cvid}, in field order
      // rather than frame order, so the outermost id is checked against what the generator built.
      const vids = [...all('vlan.id'), ...all('ieee8021ad.id'), ...all('ieee8021ad.svid'), ...all('ieee8021ad.cvid')].map(Number);
      assert.equal(p.vlanDepth, vids.length, msg);
      assert.equal(p.vlanId, frames[i].outerVid, msg);
      if (vids.length > 0) assert.ok(vids.includes(p.vlanId), msg);

      const ipSrc = first('ip.src');
      const ip6Src = first('ipv6.src');
      const arpSrc = first('arp.src.proto_ipv4');
      assert.equal(p.ipVersion, ipSrc ? 4 : ip6Src ? 6 : 0, msg);
      if (ipSrc) {
        assert.deepEqual(Array.from(p.addrs), [...ipToWords(ipSrc), ...ipToWords(first('ip.dst')!)], msg);
        assert.equal(p.ipProto, num('ip.proto'), msg);
        const mf = first('ip.flags.mf') === '1' || first('ip.flags.mf') === 'True';
        assert.equal(p.fragOffset, (num('ip.frag_offset') ?? 0) * 8, msg); // tshark: 8-octet units
        assert.equal(p.isFragment, mf || p.fragOffset !== 0, msg);
      } else if (ip6Src) {
        assert.deepEqual(Array.from(p.addrs), [...ipToWords(ip6Src), ...ipToWords(first('ipv6.dst')!)], msg);
        const fo = num('ipv6.fraghdr.offset');
        assert.equal(p.isFragment, fo !== undefined, msg);
        assert.equal(p.fragOffset, fo === undefined ? 0 : fo * 8, msg); // tshark: 8-octet units
      } else if (arpSrc) {
        assert.equal(p.etherType, 0x0806, msg);
        assert.deepEqual(Array.from(p.addrs), [...ipToWords(arpSrc), ...ipToWords(first('arp.dst.proto_ipv4')!)], msg);
      }
      if (p.isFragment) fragments++;
      if (p.ipVersion !== 0) ipByLink.set(lt, (ipByLink.get(lt) ?? 0) + 1);
      if (first('pppoe.session_id') !== undefined) pppoe++;
      if (first('mpls.label') !== undefined) mpls++;

      const sport = num('tcp.srcport') ?? num('udp.srcport') ?? num('sctp.srcport');
      const dport = num('tcp.dstport') ?? num('udp.dstport') ?? num('sctp.dstport');
      assert.equal(p.srcPort, sport ?? 0, msg);
      assert.equal(p.dstPort, dport ?? 0, msg);
      if (sport !== undefined) withPorts++;
      assert.equal(p.ipProto === 6 && p.l4Offset >= 0, first('tcp.srcport') !== undefined, msg);
      assert.equal(p.tcpFlags, first('tcp.flags') === undefined ? 0 : Number(first('tcp.flags')) & 0xff, msg);
      const it = num('icmp.type') ?? num('icmpv6.type');
      const ic = num('icmp.code') ?? num('icmpv6.code');
      assert.equal(p.icmpType, it ?? -1, msg);
      assert.equal(p.icmpCode, ic ?? -1, msg);
    }
    // The generator must actually have exercised the interesting cases.
    assert.ok(withPorts > frames.length / 3, `withPorts ${withPorts}`);
    assert.ok(fragments > 10, `fragments ${fragments}`);
    assert.ok(pppoe > 3 && mpls > 3, `pppoe ${pppoe} mpls ${mpls}`);
    // Every link type's frames carried IP as both decoders saw it (not two decoders agreeing on nothing).
    for (const lt of LINK_TYPES) assert.ok((ipByLink.get(lt) ?? 0) > PER_LINK / 2, `link type ${lt}: ${ipByLink.get(lt) ?? 0} frames with IP`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a TCP or UDP header cut short after the ports: ports as tshark reads them (SCTP: none), and a decode error', { skip: !hasTshark() }, () => {
  const rand = prng(0x5eed15);
  const frames: Array<{ lt: number; data: Buffer; origLen: number; proto: number; l4Len: number }> = [];
  for (const lt of [LT.ETHERNET, LT.RAW]) {
    for (const v6 of [false, true]) {
      for (const proto of [PROTO.TCP, PROTO.UDP, PROTO.SCTP]) {
        const sport = 1024 + Math.floor(rand() * 60000);
        const dport = 1024 + Math.floor(rand() * 60000);
        const l4 = proto === PROTO.TCP ? tcp({ sport, dport, flags: 0x12, seq: 7 }) : proto === PROTO.UDP ? udp({ sport, dport }) : sctp({ sport, dport });
        const l3 = v6
          ? ipv6({ src: randomIpv6(rand), dst: randomIpv6(rand), nextHeader: proto }, l4)
          : ipv4({ src: randomIpv4(rand), dst: randomIpv4(rand), proto }, l4);
        const full = lt === LT.ETHERNET ? ethernet({ etherType: v6 ? ETH.IPV6 : ETH.IPV4 }, l3) : l3;
        const l4At = full.length - l4.length;
        // Every cut from the end of the IP header to one byte short of the transport header.
        for (let keep = 0; keep < l4.length; keep++) {
          frames.push({ lt, data: full.subarray(0, l4At + keep), origLen: full.length, proto, l4Len: keep });
        }
        // A whole TCP header whose data offset is below 5 words is no header either, but has ports.
        if (proto === PROTO.TCP) {
          const dataOffset = Math.floor(rand() * 5);
          const bad = tcp({ sport, dport, flags: 0x10, dataOffset });
          const badL3 = v6
            ? ipv6({ src: randomIpv6(rand), dst: randomIpv6(rand), nextHeader: proto }, bad)
            : ipv4({ src: randomIpv4(rand), dst: randomIpv4(rand), proto }, bad);
          const frame = lt === LT.ETHERNET ? ethernet({ etherType: v6 ? ETH.IPV6 : ETH.IPV4 }, badL3) : badL3;
          frames.push({ lt, data: frame, origLen: frame.length, proto, l4Len: bad.length });
        }
      }
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'netmon-decode-'));
  try {
    const file = join(dir, 'cut.pcapng');
    const lts: number[] = [LT.ETHERNET, LT.RAW];
    writePcapng(file, [{
      interfaces: lts.map((linkType) => ({ linkType })),
      blocks: frames.map((f, i) => ({ kind: 'epb' as const, iface: lts.indexOf(f.lt), data: f.data, origLen: f.origLen, ts: 1700000000 + i })),
    }]);
    const fields = ['tcp.srcport', 'tcp.dstport', 'udp.srcport', 'udp.dstport', 'sctp.srcport', 'sctp.dstport'];
    const args = ['-r', file, '-n', '-T', 'fields', '-E', 'occurrence=f'];
    for (const f of fields) args.push('-e', f);
    const lines = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, frames.length);
    const p = new DecodedPacket();
    let withPorts = 0;
    for (let i = 0; i < frames.length; i++) {
      const { lt, data, origLen, proto, l4Len } = frames[i];
      const cols = lines[i].split('\t').map((c) => (c === '' ? 0 : Number(c)));
      const k = proto === PROTO.TCP ? 0 : proto === PROTO.UDP ? 2 : 4;
      const msg = `frame ${i + 1} proto ${proto} ${l4Len} transport bytes\n tshark: ${lines[i]}`;
      const rc = decodeFrame(data, 0, data.length, origLen, 0, lt, p);
      assert.deepEqual([p.srcPort, p.dstPort], [cols[k], cols[k + 1]], msg);
      assert.equal(rc, proto === PROTO.TCP ? DecodeLayer.TCP : proto === PROTO.UDP ? DecodeLayer.UDP : DecodeLayer.SCTP, msg);
      assert.equal(p.l4Offset, -1, msg);
      assert.equal(p.tcpFlags, 0, msg);
      // SCTP: tshark shows no ports for a common header cut short, nor does netmon.
      if (l4Len >= 4 && proto !== PROTO.SCTP) {
        assert.notEqual(p.srcPort, 0, msg);
        withPorts++;
      }
    }
    assert.ok(withPorts > frames.length / 3, `withPorts ${withPorts}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
