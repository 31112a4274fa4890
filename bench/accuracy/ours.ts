// Our identification engine, plugged into the accuracy harness (see engine-adapter.ts).
import { createEngineIdentifier } from './engine-adapter.js'
import type { Identifier } from './types.js'

export function createOurs(): Identifier | null {
  return createEngineIdentifier('Sightline')
}
