import { addressText, keyHash, putAddress } from './address-key';
import { KeyTable } from './key-table';
import type { SlotSink } from './key-table';
import { TopSelector } from './top-list';
import type { TopList } from './top-list';

/**
 * Contact key: source's first word, destination's first word, (IP version << 24) | (protocol << 16) |
 * port, then the other words of the source (3) and of the destination (3), 0 for IPv4 (see address-key.ts).
 */
const CONTACT_WIDTH = 9;
const C_SOURCE = 0;
/** Host slot of the contact, -1 while its source has had a single contact. */
const C_HOST = 1;

/** Source key: source's first word, IP version, the source's other words. */
const SOURCE_WIDTH = 5;
const S_CONTACTS = 0;
const S_HOSTS = 1;
/** The source's first contact (its only one while S_EXPANDED is 0). */
const S_FIRST = 2;
/** 1 once the source has had two contacts at once: from then on each of its contacts has a host entry. */
const S_EXPANDED = 3;

/** Host key: source slot, destination's first word, its other words (the version is the source's). */
const HOST_WIDTH = 5;
const H_CONTACTS = 0;

/**
 * Scans: per source address, the distinct (destination, protocol, port) contacts and the distinct
 * destinations it contacted within the sliding window, exactly while the contact budget holds.
 *
 * A contact is a packet that opens a conversation (see Detectors for which): its source, destination,
 * protocol and port.
 *
 * Three tables: contacts (the budget, `detect.max_contacts`), and derived from them sources (how many
 * live contacts and hosts) and hosts (source, destination: how many live contacts). A source with a
 * single contact (every spoofed source of a flood) has no host entry: its one host is implied, so a
 * flood packet costs two tables, not three. A contact leaves when it has not been seen for a whole
 * window, or when the table is full and it is evicted: contacts of sources that have only one go
 * first (they stay in probation; a source's contacts are promoted from its second on), then the
 * oldest.
 */
export class ScanDetector implements SlotSink {
  readonly contacts: KeyTable;
  private readonly sources: KeyTable;
  private readonly hosts: KeyTable;
  private readonly selector: TopSelector;

  constructor(maxContacts: number) {
    this.contacts = new KeyTable(CONTACT_WIDTH, 2, maxContacts, this);
    // Every source and host has at least one live contact, so these never fill up.
    this.sources = new KeyTable(SOURCE_WIDTH, 4, maxContacts, undefined, false);
    this.hosts = new KeyTable(HOST_WIDTH, 1, maxContacts, undefined, false);
    this.selector = new TopSelector(maxContacts);
  }

  /**
   * Counts a contact of source a[0..3] with (destination a[4..7], proto, port) at `step`; `a` is laid
   * out as DecodedPacket.addrs.
   */
  contact(a: Uint32Array, v: number, proto: number, port: number, step: number): void {
    const ct = this.contacts;
    const k = ct.key;
    putAddress(k, 0, 3, a, 0, v);
    putAddress(k, 1, 6, a, 4, v);
    k[2] = (v << 24) | (proto << 16) | port;
    const n = v === 4 ? 3 : CONTACT_WIDTH;
    const c = ct.find(keyHash(ct.seed, k, n, v, CONTACT_WIDTH), n);
    if (c >= 0) ct.touch(c, step);
    else this.add(a, v, step);
  }

  /**
   * A new contact (the one in contacts.key, just not found). Apart from contact() so that the path
   * of a known contact, nearly every contact packet, stays small enough to be inlined.
   */
  private add(a: Uint32Array, v: number, step: number): void {
    const ct = this.contacts;
    // Evict first: that may remove a source or host, and the new contact's are looked up after.
    ct.makeRoom(step);
    const st = this.sources;
    const sr = st.rec;
    const sk = st.key;
    putAddress(sk, 0, 2, a, 0, v);
    sk[1] = v;
    const sn = v === 4 ? 2 : SOURCE_WIDTH;
    let s = st.find(keyHash(st.seed, sk, sn, v, SOURCE_WIDTH), sn);
    let so: number;
    if (s < 0) {
      s = st.insert(step);
      so = s * st.stride + st.userBase;
      sr[so + S_CONTACTS] = 0;
      sr[so + S_HOSTS] = 0;
      sr[so + S_EXPANDED] = 0;
    } else {
      so = s * st.stride + st.userBase;
    }
    const c = ct.insert(step);
    const cr = ct.rec;
    const co = c * ct.stride + ct.userBase;
    cr[co + C_SOURCE] = s;
    cr[co + C_HOST] = -1;
    const n = ++sr[so + S_CONTACTS]!;
    if (n === 1) {
      sr[so + S_FIRST] = c;
      sr[so + S_HOSTS] = 1;
      return;
    }
    const hk = this.hosts.key;
    hk[0] = s;
    if (sr[so + S_EXPANDED] === 0) {
      // Second contact: the first one gets its host entry now (its destination is in its key).
      sr[so + S_EXPANDED] = 1;
      sr[so + S_HOSTS] = 0;
      const f = sr[so + S_FIRST]!;
      const fb = f * ct.stride;
      hk[1] = cr[fb + 1]!;
      hk[2] = cr[fb + 6]!;
      hk[3] = cr[fb + 7]!;
      hk[4] = cr[fb + 8]!;
      cr[fb + ct.userBase + C_HOST] = this.addHostContact(so, v);
      ct.promote(f);
    }
    putAddress(hk, 1, 2, a, 4, v);
    cr[co + C_HOST] = this.addHostContact(so, v);
    ct.promote(c);
  }

  /** The host entry of hosts.key (created if new, counted in its source), with one more contact. */
  private addHostContact(so: number, ipVersion: number): number {
    const ht = this.hosts;
    const n = ipVersion === 4 ? 2 : HOST_WIDTH;
    let h = ht.find(keyHash(ht.seed, ht.key, n, ipVersion, HOST_WIDTH), n);
    if (h < 0) {
      h = ht.insert(0);
      ht.rec[h * ht.stride + ht.userBase + H_CONTACTS] = 0;
      this.sources.rec[so + S_HOSTS]!++;
    }
    ht.rec[h * ht.stride + ht.userBase + H_CONTACTS]!++;
    return h;
  }

  /** Drops the contacts not seen in the window that ends at `step`. */
  expire(step: number): void {
    this.contacts.expire(step);
  }

  /** Bookkeeping of a contact about to go (expired, or evicted by the contact table). */
  dropped(c: number): void {
    const ct = this.contacts;
    const co = c * ct.stride + ct.userBase;
    const s = ct.rec[co + C_SOURCE]!;
    const h = ct.rec[co + C_HOST]!;
    const st = this.sources;
    const so = s * st.stride + st.userBase;
    if (h >= 0) {
      const ht = this.hosts;
      if (--ht.rec[h * ht.stride + ht.userBase + H_CONTACTS]! === 0) {
        ht.remove(h);
        st.rec[so + S_HOSTS]!--;
      }
    }
    if (--st.rec[so + S_CONTACTS]! === 0) st.remove(s);
  }

  /** Top n sources by distinct (destination, port) contacts, and by distinct destinations. */
  report(n: number): { ports: TopList; hosts: TopList } {
    return { ports: this.top(S_CONTACTS, n), hosts: this.top(S_HOSTS, n) };
  }

  private top(word: number, n: number): TopList {
    const st = this.sources;
    const sel = this.selector;
    sel.begin();
    for (let s = 0; s < st.slotLimit; s++) if (st.inUse(s)) sel.offer(s, st.rec[s * st.stride + st.userBase + word]!);
    const { slots, scores } = sel.top(n);
    return {
      values: Float64Array.from(scores),
      labels: slots.map((s) => addressText(st.rec, s * st.stride, s * st.stride + 2, st.rec[s * st.stride + 1]!)),
    };
  }
}
