import { z } from 'zod';
import { FAILURE_TYPES } from '../model';
import { MAX_OPERATIONS } from '../fixPlan';

/**
 * The schema of `smoke-repair.yaml`. Every key is documented here and in docs/configuration.md.
 * Unknown keys are rejected so a typo is reported where it stands instead of being ignored.
 */

const httpMethod = z
  .string()
  .transform((m) => m.toUpperCase())
  .pipe(z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']));

const status = z.number().int().min(100).max(599).describe('a number between 100 and 599');

/**
 * `${env:NAME}` in a value of `smoke.headers`, `smoke.query` or `smoke.auth`, or in a scenario's
 * request (path, headers, query, body strings): the value of the environment variable NAME, read
 * when a run starts and filled in as each request is sent (smoke/decorate.ts), so a token never has
 * to be written into the workspace.
 */
export const ENV_REFERENCE = /\$\{env:([^}]*)\}/g;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A malformed `${env:NAME}` reference is reported where it stands. */
function checkEnvReferences(text: string, ctx: z.RefinementCtx): void {
  for (const m of text.matchAll(ENV_REFERENCE)) {
    if (!ENV_NAME.test(m[1])) ctx.addIssue({ code: 'custom', message: `"${m[0]}" does not name an environment variable: write \${env:NAME}, NAME made of letters, digits and _` });
  }
  if (/\$\{env:[^}]*$/.test(text)) ctx.addIssue({ code: 'custom', message: 'an `${env:` reference is not closed with `}`' });
}

/** A text that may hold `${env:NAME}` references. */
const envText = z.string().describe('a text (`${env:NAME}` takes the value of the environment variable NAME)').superRefine(checkEnvReferences);

export const scenarioSchema = z.strictObject({
  name: z.string().min(1),
  request: z.strictObject({
    method: httpMethod,
    path: z.string().startsWith('/', 'a request path starts with "/"').superRefine(checkEnvReferences),
    headers: z.record(z.string(), z.string().superRefine(checkEnvReferences)).optional(),
    query: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]).transform(String).superRefine(checkEnvReferences)).optional(),
    body: z.unknown().optional(),
  }),
  expect: z
    .strictObject({
      status: z
        .union([status, z.array(status).min(1)])
        .describe('a number between 100 and 599 (or a list of them)')
        .default(200),
      json: z.record(z.string(), z.unknown()).optional(),
    })
    .default({ status: 200 }),
  /** name → dot path into the JSON response, e.g. `cart_id: id`. */
  save: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a variable name is letters, digits and _'), z.string()).optional(),
  /** Scenarios naming the same chain run in file order, after each other. */
  chain: z.string().optional(),
});

export const dockerRuntimeSchema = z
  .strictObject({
    /** Compose project name (label com.docker.compose.project). */
    project: z.string().optional(),
    /** Compose service name (label com.docker.compose.service). */
    service: z.string().optional(),
    /** Container name or id. */
    container: z.string().optional(),
    /** Compose file, relative to the workspace; used to find the project when `project` is not given. */
    composeFile: z.string().optional(),
    /** Allow rebuilding the image (and recreating the container) when a fix changes what the image copies. Off by default; never attempted without a Dockerfile. */
    rebuild: z.boolean().default(false),
    /** Build arguments for a rebuild, over those of the compose file. */
    buildArgs: z.record(z.string(), z.string()).default({}),
  })
  .refine((d) => d.container || d.service, { message: 'docker needs `container` or `service` (with optional `project`)' });

export const processRuntimeSchema = z.strictObject({
  /** Command line, run through the shell in `cwd`. */
  command: z.string().min(1),
  cwd: z.string().default('.'),
  env: z.record(z.string(), z.string()).default({}),
  /** Start the process when it is not already answering at the base URL. */
  start: z.boolean().default(true),
});

/** The LLM providers: an OpenAI-compatible chat endpoint, or the editor's VS Code Language Model API. */
export const LLM_PROVIDERS = ['openai-compatible', 'vscode-lm'] as const;
export type LlmProviderName = (typeof LLM_PROVIDERS)[number];

/** Keys that only one provider reads, so a key written for the other one is reported, not ignored. */
const LLM_PROVIDER_KEYS: Record<LlmProviderName, readonly ('baseUrl' | 'model' | 'vendor' | 'family')[]> = {
  'openai-compatible': ['baseUrl', 'model'],
  'vscode-lm': ['vendor', 'family'],
};

/**
 * The optional LLM planner; off when absent. `provider: openai-compatible` (the default) posts to a
 * chat endpoint (hosted APIs, Ollama, vLLM, LM Studio) and needs `baseUrl` and `model`;
 * `provider: vscode-lm` asks the editor's language model (VS Code Language Model API), picked by
 * `vendor` and `family`, and works only in the editor. One plain mapping with a refinement (not a
 * union), so unknown keys, missing keys and wrong values keep their located messages.
 */
export const llmSchema = z
  .strictObject({
    provider: z.enum(LLM_PROVIDERS).default('openai-compatible'),
    /** openai-compatible: API root; `/chat/completions` is appended (e.g. `http://127.0.0.1:11434/v1`). */
    baseUrl: z.url({ protocol: /^https?$/ }).describe('an http:// or https:// URL').optional(),
    /** openai-compatible: the model name the endpoint knows. */
    model: z.string().min(1).describe('a model name the endpoint knows, e.g. llama3.1 or gpt-4o-mini').optional(),
    /** vscode-lm: the model vendor, e.g. `copilot`; any when absent. */
    vendor: z.string().min(1).optional(),
    /** vscode-lm: the model family, e.g. `gpt-4o`; any when absent. */
    family: z.string().min(1).optional(),
    /** openai-compatible: environment variable holding the API key (sent as a bearer token); none needed for local servers. The key stored in the editor wins over it. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits and _)')
      .default('SMOKE_REPAIR_LLM_API_KEY'),
    /** Time allowed for one chat request. */
    timeoutMs: z.number().int().positive().default(60_000),
    /** Most operations a plan from the model may hold. */
    maxOperations: z.number().int().min(1).max(MAX_OPERATIONS).default(5),
  })
  .superRefine((llm, ctx) => {
    if (llm.provider === 'openai-compatible') {
      for (const key of ['baseUrl', 'model'] as const) {
        if (llm[key] === undefined) ctx.addIssue({ code: 'custom', path: [key], message: `missing key "${key}" (provider openai-compatible needs baseUrl and model)` });
      }
    }
    for (const [provider, keys] of Object.entries(LLM_PROVIDER_KEYS)) {
      if (provider === llm.provider) continue;
      for (const key of keys) {
        if (llm[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `"${key}" is read only with provider ${provider}, not ${llm.provider}${llm.provider === 'vscode-lm' ? ' (pick the model with vendor and family)' : ''}`,
          });
        }
      }
    }
  });

/** Sandbox validation of a patch before it is applied (docs/configuration.md, `validation`). Every key has a default. */
export const validationSchema = z.strictObject({
  /** Shell commands run in the sandbox view of the workspace (e.g. `ruff check app`, `npm test`); each must exit 0. */
  commands: z.array(z.string().min(1)).default([]),
  /** Time limit of each command. */
  commandTimeoutMs: z.number().int().positive().default(120_000),
  /** Start the patched app from the sandbox and run the scenarios against it. */
  scenarios: z.boolean().default(true),
  /** Loopback port of the sandbox app; default: a free port. */
  port: z.number().int().min(1).max(65_535).optional(),
  /** Environment variable that tells the app its port; set in the sandbox app's environment. */
  portEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits and _)').default('PORT'),
  /** Time limit of an image build for the sandbox. */
  buildTimeoutMs: z.number().int().positive().default(600_000),
});

/** HTTP header names are tokens: no spaces, no colon. */
const headerName = z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'a header name (letters, digits and -, no spaces or colon)');
/** Header and query values may be written as numbers or booleans (`X-Api-Version: 2`); they are sent as text. */
const scalarText = z.preprocess((v) => (typeof v === 'number' || typeof v === 'boolean' ? String(v) : v), envText);

/** One credential every request carries (docs/configuration.md, `smoke.auth`). Exactly one kind. */
export const smokeAuthSchema = z
  .strictObject({
    /** Sent as `Authorization: Bearer <token>`; also satisfies OAuth2 and OpenID Connect schemes. */
    bearer: envText.optional(),
    /** Sent as `Authorization: Basic <base64 of username:password>`. */
    basic: z.strictObject({ username: envText, password: envText }).optional(),
    /** An API key in the header, query parameter or cookie named here (an operation's own apiKey scheme in the OpenAPI document says where, when it has one). */
    apiKey: z
      .strictObject({
        header: headerName.optional(),
        query: z.string().min(1).optional(),
        cookie: z.string().regex(/^[^\s;=,]+$/, 'a cookie name (no spaces, ;, = or ,)').optional(),
        value: envText,
      })
      .superRefine((k, ctx) => {
        const where = (['header', 'query', 'cookie'] as const).filter((w) => k[w] !== undefined);
        if (where.length !== 1) {
          ctx.addIssue({ code: 'custom', message: where.length ? `give one place for the key, not ${where.join(' and ')}` : 'say where the key goes: `header: NAME`, `query: NAME` or `cookie: NAME`' });
        }
      })
      .optional(),
  })
  .superRefine((a, ctx) => {
    const kinds = (['bearer', 'basic', 'apiKey'] as const).filter((k) => a[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: kinds.length ? `give one credential, not ${kinds.join(' and ')}` : 'give one credential: `bearer: TOKEN`, `basic: { username, password }` or `apiKey: { header: NAME, value: KEY }`' });
    }
  });

const retryRuleSchema = z.strictObject({
  attempts: z.number().int().min(0).max(10).optional(),
  multiplier: z.number().min(1).max(10).optional(),
});

export const loopSchema = z.strictObject({
  /** Stop once the pass rate reaches this (0..1). */
  target: z.number().min(0).max(1).optional(),
  maxIterations: z.number().int().min(1).max(100).optional(),
  /** safe: apply safe, validated fixes and ask a person about the rest; none: ask a person about every fix. */
  approve: z.enum(['safe', 'none']).optional(),
  retry: z
    .strictObject({
      baseMs: z.number().int().min(0).max(600_000).optional(),
      capMs: z.number().int().min(0).max(3_600_000).optional(),
      maxAttempts: z.number().int().min(0).max(50).optional(),
      maxPerStep: z.number().int().min(0).max(10).optional(),
      /** Per failure type (`TRANSIENT: { attempts: 3, multiplier: 2 }`). */
      types: z.partialRecord(z.enum(FAILURE_TYPES), retryRuleSchema).optional(),
    })
    .optional(),
});

/** Environment variable names: credentials are never written into the configuration, only where to read them. */
const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits, _)');

export const learningSchema = z.strictObject({
  /** Learn from the tool's own fixes (kept, failed, rolled back, rejected). */
  enabled: z.boolean().optional(),
  /**
   * A person's fix (a failing scenario that passes at the next smoke run after an edit): ask
   * before learning it, learn it always, or never. The command line has no one to ask: `ask`
   * learns there only with `--learn`.
   */
  handEdits: z.enum(['ask', 'always', 'never']).optional(),
  /** Also keep patterns in the user's own store, shared by every workspace of that user. */
  userStore: z.boolean().optional(),
  /** A team's Neo4j: every editor and CI job that points at it shares what each learns. */
  neo4j: z
    .strictObject({
      uri: z.string().regex(/^(neo4j|bolt)(\+s|\+ssc)?:\/\/[^\s]+$/, 'a Neo4j URI: neo4j://host:7687, bolt://host:7687 (or +s / +ssc for TLS)'),
      database: z.string().min(1).optional(),
      /** The environment variables that hold the user name and password (editors may keep them in their secret storage). */
      userEnv: envName.optional(),
      passwordEnv: envName.optional(),
    })
    .optional(),
});

export const configSchema = z.strictObject({
  version: z.literal(1).default(1),
  app: z.strictObject({
    baseUrl: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8000'),
    /** A path that answers 2xx when the app is up; without one, any HTTP answer from the base URL means up. */
    health: z.string().startsWith('/').optional(),
    /** How long to wait for the app to answer before the run fails as INFRA. */
    healthTimeoutMs: z.number().int().positive().default(30_000),
    docker: dockerRuntimeSchema.optional(),
    process: processRuntimeSchema.optional(),
    /** Container (or process) path prefix → workspace-relative folder. Used when no bind mount explains a path. */
    pathMap: z.record(z.string(), z.string()).default({}),
    /** Where the route handlers live, for placing diagnostics when no frame is in the workspace. */
    sourceRoots: z.array(z.string()).default([]),
    /**
     * Where the app's log is read when the runtime cannot read it (an app started by hand, a
     * container whose log goes elsewhere): a file followed from its end, or a command that prints
     * the log as it grows. Read by server/src/engine/logs.
     */
    logs: z
      .strictObject({
        /** A log file, relative to the workspace or absolute. */
        file: z.string().min(1).optional(),
        /** A shell command whose stdout and stderr are the log, e.g. `kubectl logs -f deploy/api`. */
        command: z.string().min(1).optional(),
        /** Working folder of `command`, relative to the workspace (default: the workspace). */
        cwd: z.string().min(1).optional(),
      })
      .refine((l) => (l.file === undefined) !== (l.command === undefined), {
        message: 'give exactly one of `file` (a log file to follow) or `command` (a command that prints the log)',
      })
      .refine((l) => l.cwd === undefined || l.command !== undefined, { message: '`cwd` is read only with `command`', path: ['cwd'] })
      .optional(),
  }),
  /** OpenAPI document: a URL path on the app (e.g. /openapi.json) or a workspace file. */
  openapi: z
    .strictObject({
      location: z.string(),
      /** Derive one positive scenario per operation. */
      derive: z.boolean().default(true),
      /** Operation ids or "METHOD /path" to leave out. */
      exclude: z.array(z.string()).default([]),
    })
    .optional(),
  smoke: z
    .strictObject({
      concurrency: z.number().int().min(1).max(256).default(8),
      timeoutMs: z.number().int().positive().default(10_000),
      /** Retries for transient failures (connection reset, 502/503/504) before they count. */
      retries: z.number().int().min(0).max(5).default(1),
      /** Re-run failing scenarios one at a time when concurrent requests make log windows overlap. */
      pinTraces: z.boolean().default(true),
      /** At most this many ambiguous failures are re-run alone; the rest keep no trace (their place falls back to the route handler). */
      pinLimit: z.number().int().min(0).max(10_000).default(25),
      /** Headers every request carries (a scenario's own header of the same name wins). Values may be `${env:NAME}`. */
      headers: z.record(headerName, scalarText).default({}),
      /** Query parameters every request carries (a scenario's own parameter of the same name wins). Values may be `${env:NAME}`. */
      query: z.record(z.string().min(1), scalarText).default({}),
      /** A credential every request carries, placed where the OpenAPI document's security scheme says when it says. */
      auth: smokeAuthSchema.optional(),
    })
    .superRefine((smoke, ctx) => {
      // One place per header: the credential and a configured header of the same name would fight.
      const taken = smoke.auth?.bearer !== undefined || smoke.auth?.basic ? 'authorization' : smoke.auth?.apiKey?.header?.toLowerCase();
      const clash = Object.keys(smoke.headers).find((h) => h.toLowerCase() === taken);
      if (clash) ctx.addIssue({ code: 'custom', path: ['headers', clash], message: `the ${clash} header is also set by smoke.auth: keep one of the two` });
      const q = smoke.auth?.apiKey?.query;
      if (q !== undefined && Object.hasOwn(smoke.query, q)) ctx.addIssue({ code: 'custom', path: ['query', q], message: `the query parameter ${q} is also set by smoke.auth: keep one of the two` });
    })
    .default({ concurrency: 8, timeoutMs: 10_000, retries: 1, pinTraces: true, pinLimit: 25, headers: {}, query: {} }),
  scenarios: z.array(scenarioSchema).default([]),
  /** Sandbox validation of patches; optional, every key has a default. */
  validation: validationSchema.optional(),
  /** The optional LLM planner; off when absent. */
  llm: llmSchema.optional(),
  /** The repair loop: where it stops and how it retries; every key has a default. */
  loop: loopSchema.optional(),
  /** What is learned from fixes and where it is kept; every key has a default. */
  learning: learningSchema.optional(),
});

export type SmokeConfig = z.infer<typeof configSchema>;
export type ScenarioConfig = z.infer<typeof scenarioSchema>;
export type DockerRuntimeConfig = z.infer<typeof dockerRuntimeSchema>;
/** The docker settings as written, before defaults are filled in. */
export type DockerRuntimeInput = z.input<typeof dockerRuntimeSchema>;
export type ValidationConfig = z.infer<typeof validationSchema>;
export type ProcessRuntimeConfig = z.infer<typeof processRuntimeSchema>;
export type LlmConfig = z.infer<typeof llmSchema>;
export type LoopConfig = z.infer<typeof loopSchema>;
export type LearningConfig = z.infer<typeof learningSchema>;
export type SmokeAuthConfig = z.infer<typeof smokeAuthSchema>;

export const CONFIG_FILE = 'smoke-repair.yaml';
