import { withTimeout } from './util.js'

/** Where the server-issued storedId lives: a first-party cookie, localStorage and IndexedDB. */
const NAME = '_slid'
const DB = 'sightline'
const STORE = 'ids'

const valid = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 256

/** Storage can throw anywhere (sandboxed frames, blocked cookies, private modes): never let it out. */
const safe = <T>(fn: () => T): T | null => {
  try {
    return fn()
  } catch {
    return null
  }
}

const readCookie = () =>
  safe(() => {
    const m = document.cookie.match(/(?:^|;\s*)_slid=([^;]*)/)
    return m ? decodeURIComponent(m[1]!) : null
  })

const writeCookie = (id: string) =>
  safe(() => {
    // biome-ignore lint/suspicious/noDocumentCookie: the Cookie Store API is async and missing in Firefox/Safari
    document.cookie = `${NAME}=${encodeURIComponent(id)}; max-age=31536000; path=/; SameSite=Lax${
      location.protocol === 'https:' ? '; Secure' : ''
    }`
  })

const readLocal = () => safe(() => localStorage.getItem(NAME))
const writeLocal = (id: string) => safe(() => localStorage.setItem(NAME, id))

/** Runs one request in a fresh transaction; rejects on any failure, never throws synchronously. */
function idb<T>(mode: IDBTransactionMode, op: (s: IDBObjectStore) => IDBRequest): Promise<T | undefined> {
  return withTimeout(
    new Promise<T | undefined>((resolve, reject) => {
      const open = indexedDB.open(DB, 1)
      open.onupgradeneeded = () => open.result.createObjectStore(STORE)
      open.onerror = () => reject(open.error)
      open.onblocked = () => reject(new Error('blocked'))
      open.onsuccess = () => {
        const db = open.result
        try {
          const tx = db.transaction(STORE, mode)
          const req = op(tx.objectStore(STORE))
          tx.oncomplete = () => {
            db.close()
            resolve(req.result)
          }
          tx.onerror = tx.onabort = () => {
            db.close()
            reject(tx.error)
          }
        } catch (e) {
          db.close()
          reject(e)
        }
      }
    }),
    1000,
  )
}

const readIdb = () =>
  idb<string>('readonly', (s) => s.get(NAME)).then(
    (v) => (valid(v) ? v : null),
    () => null,
  )

const writeIdb = (id: string) =>
  idb('readwrite', (s) => s.put(id, NAME)).then(
    () => undefined,
    () => undefined,
  )

/**
 * Writes `id` everywhere: the cookie and localStorage at once, IndexedDB by the time the promise resolves
 * (or gives up). Never rejects.
 */
export function save(id: string): Promise<void> {
  if (!valid(id)) return Promise.resolve()
  writeCookie(id)
  writeLocal(id)
  return writeIdb(id)
}

/**
 * Reads the stored id: localStorage first, then the cookie (each read of `document.cookie` is a round trip to
 * the browser process), then IndexedDB, which can take a couple of hundred ms to open on a busy page. Never
 * rejects. An id found in a later place is written back to the earlier ones; the save() that follows each
 * identification rewrites all three.
 */
export function restore(): Promise<string | null> {
  const local = readLocal()
  if (valid(local)) return Promise.resolve(local)
  const cookie = readCookie()
  if (valid(cookie)) {
    writeLocal(cookie)
    return Promise.resolve(cookie)
  }
  return readIdb().then((db) => {
    if (db) {
      writeCookie(db)
      writeLocal(db)
    }
    return db
  })
}
