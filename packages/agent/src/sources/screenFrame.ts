/** Space taken by OS bars around the available area; moves with taskbars and docks. */
export const screenFrame = () => {
  const s = window.screen as Screen & { availTop?: number; availLeft?: number }
  const top = s.availTop ?? 0
  const left = s.availLeft ?? 0
  return { top, left, right: s.width - s.availWidth - left, bottom: s.height - s.availHeight - top }
}
