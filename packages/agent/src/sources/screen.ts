export const screen = () => ({
  width: window.screen.width,
  height: window.screen.height,
  colorDepth: window.screen.colorDepth,
})
