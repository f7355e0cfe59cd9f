import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DECODE_OK, DecodeLayer } from '../../src/decode/decode-layer';
import { decodeFrame } from '../../src/decode/decode-frame';
import { DecodedPacket } from '../../src/decode/packet';
import { ETH, ipToWords, ipv4, PROTO, udp } from '../support/frames';
import { LT_80211, ppi, radiotap, wifiBeacon, wifiData, wifiNull } from '../support/wifi-frames';
import type { DataFrameOptions } from '../support/wifi-frames';

const ip = ipv4({ src: '192.0.2.10', dst: '198.51.100.20', proto: PROTO.UDP }, udp({ sport: 33000, dport: 53 }, Buffer.alloc(12)));

function dec(frame: Buffer, lt: number, capLen = frame.length): { rc: number; p: DecodedPacket } {
  const p = new DecodedPacket();
  return { rc: decodeFrame(frame, 0, capLen, frame.length, 1, lt, p), p };
}

function assertIp(p: DecodedPacket, l3: number, msg: string): void {
  assert.equal(p.ipVersion, 4, msg);
  assert.equal(p.l3Offset, l3, msg);
  assert.deepEqual(Array.from(p.addrs.subarray(0, 1)), ipToWords('192.0.2.10').slice(0, 1), msg);
  assert.equal(p.dstPort, 53, msg);
}

test('802.11 data frames: every MAC header shape, the IP packet after LLC/SNAP at the right offset', () => {
  const shapes: Array<[DataFrameOptions, number]> = [
    [{}, 24], [{ wds: true }, 30], [{ qos: true }, 26], [{ qos: true, ht: true }, 30], [{ qos: true, wds: true, ht: true }, 36],
    [{ bridgeTunnel: true }, 24], [{ fragment: 3 }, 24],
  ];
  for (const [o, hlen] of shapes) {
    const { rc, p } = dec(wifiData(ETH.IPV4, ip, o), LT_80211.IEEE802_11);
    assert.equal(rc, DECODE_OK, JSON.stringify(o));
    assertIp(p, hlen + 8, JSON.stringify(o));
    assert.equal(p.etherType, 0x0800);
  }
});

test('802.11 frames without an IP packet Wireshark could show: not decoded, not errors', () => {
  const cases: Array<[string, Buffer]> = [
    ['beacon', wifiBeacon()],
    ['null data', wifiNull()],
    ['protected', wifiData(ETH.IPV4, ip, { protect: true })],
    ['more fragments follow', wifiData(ETH.IPV4, ip, { moreFragments: true })],
    ['A-MSDU', wifiData(ETH.IPV4, ip, { qos: true, amsdu: true })],
    ['not SNAP', Buffer.concat([wifiData(ETH.IPV4, ip).subarray(0, 24), Buffer.from([0x42, 0x42, 0x03]), ip])],
    ['an OUI that is not an EtherType', (() => { const f = wifiData(ETH.IPV4, ip); f[24 + 5] = 0x0c; return f; })()],
  ];
  for (const [name, frame] of cases) {
    const { rc, p } = dec(frame, LT_80211.IEEE802_11);
    assert.equal(rc, DECODE_OK, name);
    assert.equal(p.ipVersion, 0, name);
  }
});

test('radiotap: fields before Flags aligned, extra bitmaps skipped, DATAPAD; an FCS stays in the captured bytes', () => {
  for (const tsft of [false, true]) {
    for (const extraBitmaps of [0, 1, 2]) {
      for (const fcs of [false, true]) {
        const frame = radiotap(wifiData(ETH.IPV4, ip, { qos: true, pad: true }), { tsft, fcs, pad: true, extraBitmaps });
        const { rc, p } = dec(frame, LT_80211.RADIOTAP);
        const msg = JSON.stringify({ tsft, extraBitmaps, fcs });
        assert.equal(rc, DECODE_OK, msg);
        const rtLen = frame.readUInt16LE(2);
        assertIp(p, rtLen + 28 + 8, msg); // 26-byte QoS header padded to 28, then LLC/SNAP
        assert.equal(p.capEnd, frame.length, msg); // as libpcap's filters see it
      }
    }
  }
});

test('radiotap and PPI headers that do not hold: their layer\'s decode error', () => {
  const good = radiotap(wifiData(ETH.IPV4, ip), { tsft: true });
  const v1 = Buffer.from(good);
  v1[0] = 1;
  assert.equal(dec(v1, LT_80211.RADIOTAP).rc, DecodeLayer.RADIOTAP, 'version 1');
  const long = Buffer.from(good);
  long.writeUInt16LE(good.length + 1, 2);
  assert.equal(dec(long, LT_80211.RADIOTAP).rc, DecodeLayer.RADIOTAP, 'longer than the frame');
  const chain = Buffer.from(good);
  chain.writeUInt32LE(0xffffffff, 4); // every bitmap says another follows
  assert.equal(dec(chain, LT_80211.RADIOTAP).rc, DecodeLayer.RADIOTAP, 'bitmaps past the header');
  assert.equal(dec(good, LT_80211.RADIOTAP, 7).rc, DecodeLayer.RADIOTAP, 'cut in the header');
  const rtLen = good.readUInt16LE(2);
  assert.equal(dec(good, LT_80211.RADIOTAP, rtLen + 20).rc, DecodeLayer.IEEE80211, 'cut in the MAC header');
  assert.equal(dec(good, LT_80211.RADIOTAP, rtLen + 24 + 5).rc, DecodeLayer.IEEE80211, 'cut in LLC/SNAP');
  assert.equal(dec(good, LT_80211.RADIOTAP, rtLen + 24 + 8 + 10).rc, DecodeLayer.IPV4, 'cut in the IP header');

  const p = ppi(wifiData(ETH.IPV4, ip), { fcs: true });
  const ok = dec(p, LT_80211.PPI);
  assert.equal(ok.rc, DECODE_OK);
  assertIp(ok.p, 32 + 24 + 8, 'PPI');
  const otherDlt = Buffer.from(p);
  otherDlt.writeUInt32LE(1, 4);
  assert.equal(dec(otherDlt, LT_80211.PPI).rc, DECODE_OK, 'a PPI header before something else than 802.11: nothing decoded');
  assert.equal(dec(otherDlt, LT_80211.PPI).p.ipVersion, 0);
  const longPpi = Buffer.from(p);
  longPpi.writeUInt16LE(p.length + 1, 2);
  assert.equal(dec(longPpi, LT_80211.PPI).rc, DecodeLayer.PPI, 'a PPI header longer than the frame');
});
