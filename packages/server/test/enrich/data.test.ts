import assert from 'node:assert/strict'
import { test } from 'node:test'
import { AsnTable } from '../../src/enrich/asn.js'
import { formatIp, isPublicIp, parseIp } from '../../src/enrich/ip.js'
import { subdivisionCode } from '../../src/enrich/subdivisions.js'

test('parseIp / formatIp', () => {
  assert.deepEqual(parseIp('1.2.3.4'), { version: 4, words: [0x01020304] })
  assert.deepEqual(parseIp('::ffff:0102:0304'), { version: 4, words: [0x01020304] })
  assert.equal(formatIp(parseIp('2001:0db8:0000:0000:0001:0000:0000:0001')!), '2001:db8::1:0:0:1')
  assert.equal(formatIp(parseIp('[2a00:1450:4001::1]')!), '2a00:1450:4001::1')
  assert.equal(formatIp(parseIp('1:2:3:4:5:6:1.2.3.4')!), '1:2:3:4:5:6:102:304')
  for (const bad of [
    '',
    'abc',
    '999.1.1.1',
    '1.2.3',
    '::ffff:zz',
    '1:2:3:4:5:6:7:8:9',
    '1::2::3',
    '12345::',
    null,
    7,
  ])
    assert.equal(parseIp(bad), null, String(bad))
  assert.equal(isPublicIp(parseIp('100.63.255.255')!), true)
  assert.equal(isPublicIp(parseIp('100.64.0.0')!), false)
  assert.equal(isPublicIp(parseIp('3fff::1')!), false)
})

test('AsnTable parses the numeric CSV format, quotes included', () => {
  const csv = [
    '16777216,16777471,13335,"Cloudflare, Inc."',
    '16778240,16779263,38803,Gtelecom Pty Ltd',
    '16781312,16781567,2519,"ARTERIA ""Networks"" Corporation"',
    '',
  ].join('\r\n')
  const t = AsnTable.parse(Buffer.from(csv), 1)
  assert.equal(t.size, 3)
  assert.equal(t.verify(), 0)
  assert.equal(t.lookup(parseIp('1.0.0.1')!)?.name, 'Cloudflare, Inc.')
  assert.equal(t.lookup(parseIp('1.0.5.1')!)?.asn, 38803)
  assert.equal(t.lookup(parseIp('1.0.16.255')!)?.name, 'ARTERIA "Networks" Corporation')
  assert.equal(t.lookup(parseIp('1.0.2.0')!), null)
  assert.equal(t.lookup(parseIp('0.0.0.1')!), null)

  const v6 = AsnTable.parse(
    Buffer.from(
      '42540488161975842760550356425300246528,42540488241204005274814694018844196863,6939,Hurricane Electric LLC\n',
    ),
    4,
  )
  assert.equal(v6.lookup(parseIp('2001::1')!)?.asn, 6939)
  assert.equal(v6.lookup(parseIp('2001:0:ffff:ffff:ffff:ffff:ffff:ffff')!)?.asn, 6939)
  assert.equal(v6.lookup(parseIp('2001:1::')!), null)
})

test('subdivision ISO codes from names (Unicode CLDR)', () => {
  assert.equal(subdivisionCode('US', 'Illinois'), 'IL')
  assert.equal(subdivisionCode('DE', 'Bavaria'), 'BY')
  assert.equal(subdivisionCode('DE', 'Bayern'), 'BY')
  assert.equal(subdivisionCode('DE', 'State of Berlin'), 'BE')
  assert.equal(subdivisionCode('FR', 'Île-de-France'), 'IDF')
  assert.equal(subdivisionCode('SA', 'Riyadh Region'), '01')
  assert.equal(subdivisionCode('GB', 'England'), 'ENG')
  assert.equal(subdivisionCode('US', 'Atlantis'), null)
  assert.equal(subdivisionCode('BY', 'Minsk City'), null) // Minsk (city) vs Minsk Region: ambiguous
  assert.equal(subdivisionCode('ZZ', 'Anything'), null)
  assert.equal(subdivisionCode(null, 'Illinois'), null)
})
