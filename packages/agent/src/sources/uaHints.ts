const HINTS = ['architecture', 'bitness', 'model', 'platformVersion', 'uaFullVersion', 'fullVersionList']

/** User-Agent Client Hints (Chromium); null where unsupported. */
export async function uaHints() {
  const data = (navigator as any).userAgentData
  if (!data?.getHighEntropyValues) return null
  const h = await data.getHighEntropyValues(HINTS)
  return {
    brands: data.brands,
    mobile: data.mobile,
    platform: data.platform,
    architecture: h.architecture,
    bitness: h.bitness,
    model: h.model,
    platformVersion: h.platformVersion,
    uaFullVersion: h.uaFullVersion,
    fullVersionList: h.fullVersionList,
  }
}
