/**
 * Raw material for the server's bot score that survives the usual disguises (see docs/bot-detection.md):
 * - `n`, `t`: a random nonce and the collection time, so the server recognises a replayed payload;
 * - `tampered`: APIs whose implementation is not the browser's own (a redefined getter, a wrapper that lies
 *   through `Function.prototype.toString`, an own property on `navigator`);
 * - `globals`: window properties left by automation drivers (Selenium's `cdc_…`, PhantomJS, Nightmare…);
 * - `evalLength`: `eval.toString().length`, 33 in V8, 37 in SpiderMonkey and JavaScriptCore;
 * - `cdp`: whether a DevTools-protocol client with the Runtime domain enabled serialises the page's console
 *   calls (Playwright, Puppeteer, ChromeDriver, an open DevTools); null when console.debug is not native.
 * Every probe is wrapped: a broken or hostile environment yields less data, never an exception.
 */

/** 16 random base-32 characters. */
export function nonce(): string {
  let bytes = new Uint8Array(16)
  try {
    crypto.getRandomValues(bytes)
  } catch {
    bytes = bytes.map(() => Math.random() * 256)
  }
  return Array.from(bytes, (b) => (b & 31).toString(32)).join('')
}

const NATIVE = /^function [\w$ ]*\(\) \{\s*\[native code\]\s*\}$/

/** Whether `fn` looks like the browser's own function named `name` (e.g. "get webdriver", "query"). */
function native(fn: unknown, name: string, getter: boolean): boolean {
  if (typeof fn !== 'function') return false
  try {
    if (!NATIVE.test(Function.prototype.toString.call(fn))) return false
    // A wrapper may lie through toString, but it rarely gets the name of a native accessor right.
    if (fn.name !== name) return false
    // Own `prototype`: an ordinary function, never a native method or accessor.
    if (Object.hasOwn(fn, 'prototype')) return false
  } catch {
    return false
  }
  if (getter) {
    // A native accessor called on an object that is not a real instance throws "Illegal invocation".
    try {
      fn.call(Object.create(null))
      return false
    } catch {}
  }
  return true
}

type Proto = { prototype: object } | undefined

/** [label, owner (a prototype), property, accessor?] */
const CHECKS: [string, () => Proto, string, boolean][] = [
  ['webdriver', () => Navigator, 'webdriver', true],
  ['userAgent', () => Navigator, 'userAgent', true],
  ['platform', () => Navigator, 'platform', true],
  ['languages', () => Navigator, 'languages', true],
  ['plugins', () => Navigator, 'plugins', true],
  ['hardwareConcurrency', () => Navigator, 'hardwareConcurrency', true],
  ['screenWidth', () => Screen, 'width', true],
  ['permissionsQuery', () => (window as any).Permissions, 'query', false],
  ['getParameter', () => WebGLRenderingContext, 'getParameter', false],
  ['toDataURL', () => HTMLCanvasElement, 'toDataURL', false],
  ['toString', () => Function, 'toString', false],
]

const AUTOMATION_GLOBAL =
  /^(\$?cdc_|__(webdriver|selenium|driver|fxdriver|nightmare|playwright|pw[A-Z_]|puppeteer|lastWatirAlert)|_selenium|_Selenium_IDE|callSelenium|callPhantom|_phantom|domAutomation)/

const EVAL = 'eval'

/**
 * A Runtime-enabled protocol client gets every console call's arguments as objects with previews, and the
 * preview of an object holding an Error reads that Error's `name`. Without a client, console.debug only
 * stores its arguments: nothing reads a property of a nested object. Only reads during the call count.
 */
function inspected(): boolean | null {
  const debug = console.debug
  if (!native(debug, 'debug', false)) return null
  let during = true
  let read = false
  const e = new Error('')
  Object.defineProperty(e, 'name', {
    get() {
      if (during) read = true
      return 'Error'
    },
  })
  try {
    debug.call(console, { e })
  } finally {
    during = false
  }
  return read
}

export function automation() {
  const tampered: string[] = []
  for (const [label, owner, prop, getter] of CHECKS) {
    try {
      const proto = owner()?.prototype
      if (!proto || !(prop in proto)) continue
      const d = Object.getOwnPropertyDescriptor(proto, prop)
      const fn = getter ? d?.get : d?.value
      if (!d || !native(fn, getter ? `get ${prop}` : prop, getter)) tampered.push(label)
    } catch {
      tampered.push(label)
    }
  }
  try {
    // Chromium, Firefox and Safari keep navigator's properties on Navigator.prototype: an own one was added.
    for (const name of Object.getOwnPropertyNames(navigator)) tampered.push(`navigator.${name}`.slice(0, 40))
  } catch {}
  let globals: string[] = []
  try {
    globals = Object.getOwnPropertyNames(window)
      .concat(Object.getOwnPropertyNames(document))
      .filter((n) => AUTOMATION_GLOBAL.test(n))
      .map((n) => n.slice(0, 40))
  } catch {}
  let evalLength: number | null = null
  try {
    // eval is only measured, never called.
    evalLength = String((window as any)[EVAL]).length
  } catch {}
  let cdp: boolean | null = null
  try {
    cdp = inspected()
  } catch {}
  return {
    n: nonce(),
    t: Date.now(),
    tampered: tampered.slice(0, 20),
    globals: globals.slice(0, 10),
    evalLength,
    cdp,
  }
}
