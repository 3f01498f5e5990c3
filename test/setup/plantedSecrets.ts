/**
 * A copy of the shop-api example with secrets planted where a careless app and a hurried user put
 * them, for the tests that search everything Smoke Repair shows, stores and sends for them:
 *
 *  - in smoke-repair.yaml: a literal `Authorization: Bearer …` header and an `api_key=…` query
 *    parameter on the failing "pay order" scenario (as a new user writes them), and `${env:NAME}`
 *    values: `smoke.auth` (a bearer token on every request), an `X-Api-Key` header, a session cookie,
 *    a `signature` query parameter, an `X-Session-Token` header, a `token` query parameter;
 *  - in the container's environment: a database password, a URL with user info, a private key, a
 *    JWT and a cloud access key id for a log line, and another JWT and key for a response body.
 *
 * The copy's code (app/planted.py, added here; examples/ stays as it is) prints the headers of
 * every request it receives, has a route that logs the first JWT and key and answers 500 with the
 * others in its body, and a route whose traceback carries the whole environment. The container's
 * own log (`docker logs`) shows that the app received every one of them.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { copyExample, type ExampleCopy } from './exampleCopy';

const PLANTED_PY = `"""Added by the secrets test to its copy of the example: an app that is careless with credentials."""

import logging
import os

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["planted"])
log = logging.getLogger("uvicorn.error")


async def print_headers(request: Request, call_next):
    print(f"{request.method} {request.url.path} headers={dict(request.headers)}", flush=True)
    return await call_next(request)


@router.get("/upstream")
def upstream():
    log.warning("upstream %s rejected token %s for key %s", os.environ["UPSTREAM_URL"], os.environ["LOG_JWT"], os.environ["LOG_CLOUD_KEY"])
    detail = f"upstream answered 401: token {os.environ['BODY_JWT']} is not valid for access key {os.environ['BODY_CLOUD_KEY']}"
    return JSONResponse(status_code=500, content={"detail": detail})


@router.get("/config")
def show_config():
    raise RuntimeError(f"the configuration is incomplete: {dict(os.environ)}")
`;

const b64url = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');
const alnum = (n: number) => randomBytes(n * 2).toString('hex').toUpperCase().replace(/[^A-Z0-9]/g, '').slice(0, n);

function jwt(subject: string): string {
  return `${b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }))}.${b64url(JSON.stringify({ sub: subject, n: randomBytes(6).toString('hex') }))}.${b64url(randomBytes(32))}`;
}

export interface PlantedShop {
  copy: ExampleCopy;
  /** Name → value of every planted secret. */
  secrets: Record<string, string>;
  /** The environment Smoke Repair must run in (the `${env:NAME}` values). */
  env: Record<string, string>;
  /** What the app's container printed (`docker logs`): the app's own view of what it received. */
  containerLog(): string;
}

/** Brings up the planted copy of shop-api on `port`; `llmBaseUrl` is configured as an openai-compatible `llm`. The example's image must exist. */
export async function plantedShop(port: number, llmBaseUrl: string): Promise<PlantedShop> {
  const tag = randomBytes(4).toString('hex');
  const secrets: Record<string, string> = {
    literalBearer: `lit${tag}Bearer7x9`,
    literalApiKey: `lit${tag}QueryKey3`,
    envApiKeyHeader: `env${tag}XApiKey5`,
    envCookie: `env${tag}Cookie8`,
    envSignature: `env${tag}Signature2`,
    envSessionHeader: `env${tag}Session4`,
    envQueryToken: `env${tag}QueryToken6`,
    envAuthBearer: `env${tag}AuthBearer1`,
    dbPassword: `pw${tag}DbPassword0`,
    userInfoPassword: `pw${tag}UserInfo9`,
    privateKey: randomBytes(48).toString('base64'),
    logJwt: jwt(`log-${tag}`),
    logCloudKey: `AKIA${alnum(16)}`,
    bodyJwt: jwt(`body-${tag}`),
    bodyCloudKey: `AKIA${alnum(16)}`,
  };
  const env = {
    SHOP_AUTH_TOKEN: secrets.envAuthBearer,
    SHOP_API_KEY: secrets.envApiKeyHeader,
    SHOP_SESSION_COOKIE: secrets.envCookie,
    SHOP_SIGNATURE: secrets.envSignature,
    SHOP_SESSION_TOKEN: secrets.envSessionHeader,
    SHOP_QUERY_TOKEN: secrets.envQueryToken,
  };

  const copy = await copyExample('shop-api', port, {
    prepare(dir) {
      writeFileSync(path.join(dir, 'app', 'planted.py'), PLANTED_PY);
      const main = path.join(dir, 'app', 'main.py');
      writeFileSync(
        main,
        readFileSync(main, 'utf8').replace(
          'app.include_router(orders.router)\n',
          'app.include_router(orders.router)\n\nfrom app import planted  # noqa: E402\n\napp.middleware("http")(planted.print_headers)\napp.include_router(planted.router)\n',
        ),
      );
      const compose = path.join(dir, 'docker-compose.yml');
      const containerEnv = [
        `SHOP_DB_PASSWORD: "${secrets.dbPassword}"`,
        `UPSTREAM_URL: "https://svc:${secrets.userInfoPassword}@upstream.internal/v1"`,
        `SHOP_SIGNING_KEY: "-----BEGIN PRIVATE KEY-----\\n${secrets.privateKey}\\n-----END PRIVATE KEY-----"`,
        `LOG_JWT: "${secrets.logJwt}"`,
        `LOG_CLOUD_KEY: "${secrets.logCloudKey}"`,
        `BODY_JWT: "${secrets.bodyJwt}"`,
        `BODY_CLOUD_KEY: "${secrets.bodyCloudKey}"`,
      ];
      writeFileSync(compose, readFileSync(compose, 'utf8').replace(/( +)DATABASE_URL: .*\n/, (line, indent: string) => line + containerEnv.map((e) => `${indent}${e}\n`).join('')));
      const yamlFile = path.join(dir, 'smoke-repair.yaml');
      let yaml = readFileSync(yamlFile, 'utf8');
      yaml = yaml.replace(
        'smoke:\n  concurrency: 4\n',
        'smoke:\n  concurrency: 4\n  auth: { bearer: "${env:SHOP_AUTH_TOKEN}" }\n',
      );
      yaml = yaml.replace(
        '    request: { method: POST, path: "/orders/{order_id}/pay" }\n',
        [
          '    request:',
          '      method: POST',
          `      path: "/orders/{order_id}/pay?api_key=${secrets.literalApiKey}"`,
          `      headers: { Authorization: "Bearer ${secrets.literalBearer}", X-Api-Key: "\${env:SHOP_API_KEY}", Cookie: "session=\${env:SHOP_SESSION_COOKIE}" }`,
          '      query: { signature: "${env:SHOP_SIGNATURE}" }',
          '',
        ].join('\n'),
      );
      yaml += [
        '',
        '  # --- planted by the secrets test -------------------------------------------',
        '  - name: upstream call',
        '    request: { method: GET, path: /upstream, headers: { X-Session-Token: "${env:SHOP_SESSION_TOKEN}" } }',
        '    expect: { status: 200 }',
        '',
        '  - name: show config',
        '    request: { method: GET, path: "/config?token=${env:SHOP_QUERY_TOKEN}" }',
        '    expect: { status: 200 }',
        '',
        'llm:',
        `  baseUrl: ${llmBaseUrl}`,
        '  model: stub-model',
        '  timeoutMs: 20000',
        '',
      ].join('\n');
      writeFileSync(yamlFile, yaml);
    },
  });
  return {
    copy,
    secrets,
    env,
    containerLog: () => {
      const out = execFileSync('docker', ['logs', copy.project], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
      // docker logs writes the container's stdout to stdout and its stderr to stderr.
      const err = execFileSync('sh', ['-c', `docker logs ${copy.project} 2>&1 1>/dev/null`], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
      return out + err;
    },
  };
}

/** Every file under a folder, with its path, as text (binary files as latin1, so every byte is searched). */
export function filesUnder(dir: string): Array<{ place: string; text: string }> {
  const out: Array<{ place: string; text: string }> = [];
  const walk = (rel: string) => {
    let entries;
    try {
      entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push({ place: p, text: readFileSync(path.join(dir, p)).toString('latin1') });
    }
  };
  walk('');
  return out;
}

/** The forms a secret may take in bytes that were searched: as it is, URL-encoded, JSON-escaped, base64. */
function forms(secret: string): string[] {
  return [...new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1), Buffer.from(secret).toString('base64')])];
}

/** `secret name @ place` for every secret found in a place, in any of its forms. */
export function findSecrets(secrets: Record<string, string>, places: ReadonlyArray<{ place: string; text: string }>): string[] {
  const found: string[] = [];
  for (const { place, text } of places) {
    for (const [name, value] of Object.entries(secrets)) {
      if (forms(value).some((f) => text.includes(f))) found.push(`${name} @ ${place}`);
    }
  }
  return found;
}
