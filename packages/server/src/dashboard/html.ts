/** Escapes text for HTML (element content and quoted attribute values) in server-rendered pages. */
export const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
