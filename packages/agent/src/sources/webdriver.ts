const isNative = (fn: unknown) =>
  typeof fn === 'function' && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(fn))

/** navigator.webdriver, and whether anyone redefined it to hide automation. */
export function webdriver() {
  const getter = Object.getOwnPropertyDescriptor(Navigator.prototype, 'webdriver')?.get
  return {
    value: navigator.webdriver ?? null,
    native:
      !Object.hasOwn(navigator, 'webdriver') && (getter ? isNative(getter) : !('webdriver' in navigator)),
  }
}
