/**
 * Hosting, cloud and CDN networks by AS number: an address announced by one of them is in a datacenter
 * (servers, VPN exits, relays), not on a home or mobile line. Curated, offline; a network not listed is
 * simply not flagged. Each number was checked against the organisation name that the bundled
 * @ip-location-db/asn data (RouteViews + DB-IP ASN Lite, release 2.3.2026061719) gives for it; only the
 * providers' hosting/cloud networks are listed (e.g. not Google Fiber, not Microsoft's corporate ASNs).
 */
const HOSTING: Record<string, readonly number[]> = {
  'Amazon AWS': [16509, 14618, 8987, 38895, 135630, 214101],
  'Google Cloud': [396982, 15169, 19527, 139070, 139190, 214609, 214611],
  'Microsoft Azure': [8075],
  DigitalOcean: [14061],
  Hetzner: [24940, 212317, 213230, 215859],
  OVH: [16276, 35540],
  Linode: [63949],
  Akamai: [20940, 16625, 36183],
  Vultr: [20473],
  'Oracle Cloud': [31898],
  'Alibaba Cloud': [45102, 37963, 134963],
  'Tencent Cloud': [45090, 132203, 133478, 132591, 137876],
  Scaleway: [12876, 29447, 202023],
  Contabo: [51167, 40021, 141995],
  Leaseweb: [60781, 16265, 28753, 30633, 19148, 27411, 7203, 396362, 32613, 133752, 134351, 136988, 205544],
  M247: [9009, 16247],
  Cloudflare: [13335, 209242, 139242, 132892, 14789, 202623, 203898],
  Fastly: [54113],
  'IBM Cloud': [36351],
  IONOS: [8560],
  'G-Core Labs': [199524],
  'Datacamp (CDN77)': [60068, 212238],
  PacketHub: [136787, 141039],
  Zenlayer: [21859],
  Clouvider: [62240],
  WorldStream: [49981],
  'Cherry Servers': [16125],
  'Psychz Networks': [40676],
}

const BY_ASN = new Map<number, string>()
for (const [name, asns] of Object.entries(HOSTING)) for (const asn of asns) BY_ASN.set(asn, name)

/** The hosting provider operating this AS, or null. */
export function hostingProvider(asn: number | null | undefined): string | null {
  return asn == null ? null : (BY_ASN.get(asn) ?? null)
}
