// The disguises of automated Chromium that bots-browsers.test.ts and bench:bots both run: one definition,
// so the test and the benchmark measure the same browsers.

export const CHROME_UA_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'
/** A UA consistent with the Linux machine it runs on: no User-Agent contradiction to catch. */
export const CHROME_UA_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'
/** What a scraper's init script does to hide navigator.webdriver. */
export const MASK_WEBDRIVER = `Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false, configurable: true })`
/** Flags off: no `navigator.webdriver`, no "controlled by automated test software" bar. */
export const AUTOMATION_OFF = ['--disable-blink-features=AutomationControlled']
export const DROP_DEFAULT_ARGS = ['--enable-automation']

/**
 * The usual stealth patches (webdriver, languages, plugins, the chrome object, the WebGL vendor and
 * renderer), each done the careful way: the native function wrapped in a Proxy, which keeps its name, its
 * `[native code]` source and its "Illegal invocation" on a foreign receiver, so it passes for native.
 */
export const STEALTH = `(() => {
  const wrap = (owner, prop, kind, answer) => {
    const d = owner && Object.getOwnPropertyDescriptor(owner, prop)
    if (!d) return
    d[kind] = new Proxy(d[kind], { apply: (f, self, args) => answer(Reflect.apply(f, self, args), args) })
    Object.defineProperty(owner, prop, d)
  }
  wrap(Navigator.prototype, 'webdriver', 'get', () => false)
  wrap(Navigator.prototype, 'languages', 'get', () => Object.freeze(['en-US', 'en']))
  // Chromium 156 has its PDF plugins already: the patch answers what the browser has.
  wrap(Navigator.prototype, 'plugins', 'get', (p) => p)
  const gl = (v, [p]) => (p === 37445 ? 'Intel Inc.' : p === 37446 ? 'Intel Iris OpenGL Engine' : v)
  wrap(window.WebGLRenderingContext && WebGLRenderingContext.prototype, 'getParameter', 'value', gl)
  wrap(window.WebGL2RenderingContext && WebGL2RenderingContext.prototype, 'getParameter', 'value', gl)
  if (!window.chrome) window.chrome = {}
  if (!window.chrome.runtime) window.chrome.runtime = { connect() {}, sendMessage() {}, id: undefined }
})()`
