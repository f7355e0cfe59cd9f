/**
 * Largest sane captured length per link type, as libpcap's max_snaplen_for_dlt() (pcap-common.c)
 * and Wireshark's wtap_max_snaplen_for_encap(): 256 KiB except for a few link types whose frames
 * are legitimately bigger. A record above this is treated as damage, not allocated.
 */
const MAXIMUM_SNAPLEN = 262144;

export function maxCapLenForLinkType(linkType: number): number {
  switch (linkType) {
    case 231: // LINKTYPE_DBUS: D-Bus messages can be 128 MiB
      return 128 * 1024 * 1024;
    case 279: // LINKTYPE_EBHSCR
      return 8 * 1024 * 1024;
    case 249: // LINKTYPE_USBPCAP
      return 1024 * 1024;
    default:
      return MAXIMUM_SNAPLEN;
  }
}
