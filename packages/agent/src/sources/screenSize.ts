/** `screen`, orientation-independent: phones swap width and height when rotated. */
export const screenSize = () => {
  const { width, height, colorDepth } = window.screen
  return { long: Math.max(width, height), short: Math.min(width, height), colorDepth }
}
