/** Headless Chromium used to answer "prompt" to permissions.query while Notification.permission said "denied". */
export async function permissions() {
  const notification = typeof Notification === 'function' ? Notification.permission : null
  if (!navigator.permissions?.query) return { state: null, notification }
  const { state } = await navigator.permissions.query({ name: 'notifications' })
  return { state, notification }
}
