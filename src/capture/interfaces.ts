/**
 * Interface discovery and start-up checks for live capture: the interface list comes from
 * pcap_findalldevs (cap's deviceList), filters are compiled by libpcap itself so that netmon
 * accepts exactly what the kernel filter will accept.
 */
import { existsSync } from 'node:fs';
import { NetmonError } from '../errors';
import { readDefaultRouteInterfaces } from './default-route';
import { capBinding } from './live-capture';
import type { CapDevice } from './live-capture';

export interface InterfaceInfo {
  readonly name: string;
  readonly description: string | undefined;
  readonly addresses: readonly string[];
  readonly loopback: boolean;
  readonly up: boolean;
  readonly running: boolean;
}

/** Pseudo-devices libpcap lists that are not network interfaces netmon should pick by default. */
const NOT_NETWORK = /^(any|nflog|nfqueue|dbus-.*|bluetooth.*|usbmon\d*)$/;

function toInfo(d: CapDevice): InterfaceInfo {
  return {
    name: d.name,
    description: d.description,
    addresses: d.addresses.flatMap((a) => (a.addr !== undefined ? [a.addr] : [])),
    loopback: d.loopback,
    up: d.up,
    running: d.running,
  };
}

/** All capture devices libpcap knows of (pcap_findalldevs), in its order (best first). */
export function listInterfaces(): InterfaceInfo[] {
  return capBinding().deviceList().map(toInfo);
}

/**
 * The interface netmon captures on when none is given: the interface of the default route if it is
 * up (IPv4 first, then IPv6: the host's uplink), else the first non-loopback network interface
 * that is up, or undefined if there is none.
 */
export function defaultInterface(): string | undefined {
  const up = listInterfaces().filter((i) => i.up && !i.loopback && !NOT_NETWORK.test(i.name));
  for (const name of readDefaultRouteInterfaces()) if (up.some((i) => i.name === name)) return name;
  return up[0]?.name;
}

/**
 * Whether `name` is a capturable interface now. A network interface that is down is not in every
 * libpcap's list, so /sys/class/net is consulted too (Linux).
 */
export function interfaceExists(name: string): boolean {
  // bonding_masters is a control file in /sys/class/net, not an interface.
  if (name === '' || name.includes('/') || name === 'bonding_masters') return false;
  if (existsSync(`/sys/class/net/${name}`)) return true;
  return listInterfaces().some((i) => i.name === name);
}

/**
 * Throws NETMON_ERR_FILTER_INVALID with libpcap's reason if `filter` does not compile. Compiled
 * against a dead handle of `linkType` (default Ethernet, what netmon captures almost always); a
 * filter that needs the real link type fails again, clearly, when the interface is opened.
 * `source` names where the filter came from (flag or config key) for the message.
 */
export function validateCaptureFilter(filter: string, source: string, linkType = 1): void {
  try {
    capBinding().checkFilter(filter, linkType);
  } catch (err) {
    throw new NetmonError('NETMON_ERR_FILTER_INVALID', `${source}: ${(err as Error).message}`);
  }
}
