import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { checkSync } from 'recheck'
import ts from 'typescript'

const SRC = fileURLToPath(new URL('../src', import.meta.url))

interface Found {
  where: string
  source: string
  flags: string
}

/** Every regular expression literal in the server's source, and every `RegExp(...)` call. */
function regexesIn(dir: string): { literals: Found[]; constructed: string[] } {
  const literals: Found[] = []
  const constructed: string[] = []
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'))
  for (const file of files) {
    const text = readFileSync(path.join(dir, file), 'utf8')
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
    const visit = (node: ts.Node) => {
      const line = () => `${file}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`
      if (node.kind === ts.SyntaxKind.RegularExpressionLiteral) {
        const lit = node.getText(sf)
        const end = lit.lastIndexOf('/')
        literals.push({ where: line(), source: lit.slice(1, end), flags: lit.slice(end + 1) })
      } else if (
        (ts.isNewExpression(node) || ts.isCallExpression(node)) &&
        node.expression.getText(sf) === 'RegExp'
      ) {
        constructed.push(line())
      }
      ts.forEachChild(node, visit)
    }
    visit(sf)
  }
  return { literals, constructed }
}

describe('regular expressions', () => {
  const { literals, constructed } = regexesIn(SRC)

  it('the server builds none at run time (each is a literal this test can check)', () => {
    assert.deepEqual(constructed, [])
    assert.ok(literals.length > 50, `found ${literals.length} literals: is the scan still reading src/?`)
  })

  // Any of them may meet client input (a User-Agent, a component value, a query parameter), so every
  // one must run in linear time: recheck looks for inputs that make a backtracking engine take
  // super-linear time. It runs locally: its native build (an npm optional dependency) where there is
  // one, else its pure JavaScript build (same verdicts, several times slower).
  it('are all linear according to recheck (no ReDoS)', () => {
    const unsafe: string[] = []
    for (const r of literals) {
      const res = checkSync(r.source, r.flags, { timeout: 20_000 })
      if (res.status !== 'safe') {
        const how = res.status === 'vulnerable' ? res.complexity.type : res.status
        unsafe.push(`${r.where} /${r.source}/${r.flags}: ${how}`)
      }
    }
    assert.deepEqual(unsafe, [])
  })
})
