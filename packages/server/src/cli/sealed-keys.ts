import { UsageError } from './common.js'

export async function run(argv: string[]): Promise<void> {
  throw new UsageError(`not implemented yet: ${argv.join(' ')}`)
}
