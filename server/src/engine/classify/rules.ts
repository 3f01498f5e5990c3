/**
 * The classification rules, in order: the first rule whose test returns a signal decides.
 *
 * Decisions worth knowing:
 * - A status mismatch on a 4xx the app chose deliberately (400, 401, 403, 404, 405, 409, 422) is
 *   RUNTIME: the scenario is the contract, so the app is presumed wrong. Whether the expectation
 *   itself is wrong cannot be known from the outside; TEST_ASSERT is kept for a response whose
 *   status is right but whose JSON does not match, and for a scenario that could not be built.
 * - A missing module is RUNTIME + DEPENDENCY, not INFRA: the fix is a manifest change in the
 *   workspace (requirements, package.json) that the repair loop can make; INFRA is for what lies
 *   outside the workspace (the app not up, the network). A relative import, or a module of the app
 *   itself, is IMPORT instead.
 * - SyntaxError / IndentationError / TabError from Python (and a Node SyntaxError that is not a
 *   JSON parse) are LINT: code that a linter or compiler rejects before it runs.
 * - SECURITY only on security signals: CSRF, permission exceptions, or an endpoint that should
 *   have refused (expected 401/403) and answered 2xx. A plain 401/403 is RUNTIME + AUTH.
 * - ECONNREFUSED is INFRA (the app is not listening; retrying now will not help); resets,
 *   timeouts and 502/503/504 are TRANSIENT and retryable; 429 is RATE_LIMIT and retryable.
 */
import type { FailureType, Strategy } from '../model';
import type { RuleContext } from './context';

export interface Rule {
  id: string;
  failureType: FailureType;
  strategy: Strategy | ((c: RuleContext) => Strategy);
  retryable?: boolean;
  /** A human-readable signal when the rule applies, else undefined. */
  test(c: RuleContext): string | undefined;
}

const SCHEMA =
  /no such table|no such column|has no column named|relation "?[\w.]+"? does not exist|column "?[\w.]+"? (?:of relation "?[\w.]+"? )?does not exist|Unknown column '|Table '[^']+' doesn't exist|UndefinedTable|UndefinedColumn|alembic\.|Target database is not up to date|Can't locate revision/i;
const INTEGRITY =
  /IntegrityError|UniqueViolation|ForeignKeyViolation|NotNullViolation|CheckViolation|UNIQUE constraint failed|NOT NULL constraint failed|FOREIGN KEY constraint failed|duplicate key value|violates (?:unique|foreign key|not-null|check) constraint|UniqueConstraintError|ForeignKeyConstraintError|ER_DUP_ENTRY/;
const DB_DOWN = /could not connect to server|connection to server at .* failed|Connection refused|Can't connect to MySQL|ECONNREFUSED .*:(?:5432|3306|27017|6379)/i;
const DB_CLASS = /OperationalError|InterfaceError|DatabaseError|Sequelize|Prisma|MongoServerError|MongoNetworkError|pg\./;
const SECURITY_CLASS = /CSRF|Csrf|PermissionDenied|PermissionError|Forbidden|Unauthorized|SuspiciousOperation|InvalidSignature|ExpiredSignature|JWTError|TokenError/;
const MODULE_MISSING = /^(?:ModuleNotFoundError|ImportError)$/;
const NODE_MODULE_MISSING = /Cannot find (?:module|package) '([^']+)'|ERR_MODULE_NOT_FOUND/;
const PY_NO_MODULE = /No module named '([^']+)'/;
const NAME_ERRORS = /^(?:NameError|UnboundLocalError|ReferenceError)$/;
const PY_SYNTAX = /^(?:SyntaxError|IndentationError|TabError)$/;
const ROUTE_MODULE = /(?:^|\/)(?:routes?|routers?|views?|controllers?|handlers?|endpoints?|api)(?:\/|\.|_|$)/i;
const ROUTING_ERROR = /NoMatchFound|NoReverseMatch|Resolver404|MethodNotAllowed|RouteNotFound|Cannot (?:GET|POST|PUT|PATCH|DELETE) \//;
const VALIDATION_CLASS = /ValidationError|RequestValidationError|ResponseValidationError|ValidationException|ZodError|ValidatorError/;
const NETWORK_TRANSIENT = /^(?:ECONNRESET|ETIMEDOUT|ESOCKETTIMEDOUT|EPIPE|ECONNABORTED|EAI_AGAIN|UND_ERR_(?:SOCKET|CONNECT_TIMEOUT|HEADERS_TIMEOUT|BODY_TIMEOUT|CLOSED)|ABORT_ERR|TIMEOUT|TimeoutError)$/;
/** A 404 body that says the route itself is unknown (custom not-found handlers), not a record. */
const NO_ROUTE = /\bno (?:such )?route\b|\broute not found\b|\bunknown (?:route|endpoint|path)\b|\bno handler for\b/i;
const ROW_MISSING = /not found|does not exist|no such|doesn't exist|unknown id|no (?:\w+ )?with id/i;
const FRAMEWORK_404 = /^\s*(?:\{\s*"detail"\s*:\s*"Not Found"\s*\}|Not Found|Cannot (?:GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) \S+)/;

function cls(c: RuleContext, re: RegExp): string | undefined {
  return c.classes.find((k) => re.test(k) || re.test(k.slice(k.lastIndexOf('.') + 1)));
}

/** SERVICE, or ROUTE when the innermost workspace frame sits in a route-handler module. */
function serviceOrRoute(c: RuleContext): Strategy {
  const f = c.topFrame;
  if (f && ROUTE_MODULE.test(f.file)) return 'ROUTE';
  return 'SERVICE';
}

function where(c: RuleContext): string {
  const f = c.topFrame;
  return f ? `; innermost workspace frame ${f.file}:${f.line} in ${f.function}` : '';
}

function statusIs(c: RuleContext, ...codes: number[]): boolean {
  return c.status !== undefined && codes.includes(c.status);
}

function statusText(c: RuleContext): string {
  return `status ${c.status} (expected ${c.expectedStatus ?? '?'})`;
}

export const RULES: readonly Rule[] = [
  // ── the request never got an answer ────────────────────────────────────────────
  {
    id: 'connection-refused',
    failureType: 'INFRA',
    strategy: 'INFRA',
    test: (c) => (c.errorCode === 'ECONNREFUSED' ? 'connection refused: the app is not listening' : undefined),
  },
  {
    id: 'host-not-found',
    failureType: 'INFRA',
    strategy: 'CONFIG',
    test: (c) => (c.errorCode === 'ENOTFOUND' ? 'host not found: check the base URL' : undefined),
  },
  {
    id: 'network-transient',
    failureType: 'TRANSIENT',
    strategy: 'INFRA',
    retryable: true,
    test: (c) => (c.errorCode && NETWORK_TRANSIENT.test(c.errorCode) ? `network error ${c.errorCode}` : undefined),
  },
  {
    id: 'gateway',
    failureType: 'TRANSIENT',
    strategy: 'INFRA',
    retryable: true,
    test: (c) => (statusIs(c, 502, 503, 504) ? `${statusText(c)}: upstream unavailable` : undefined),
  },
  {
    id: 'rate-limit',
    failureType: 'RATE_LIMIT',
    strategy: 'RATE_LIMIT',
    retryable: true,
    test: (c) => (statusIs(c, 429) ? `${statusText(c)}: rate limited` : undefined),
  },
  {
    id: 'auth-bypass',
    failureType: 'SECURITY',
    strategy: 'AUTH',
    test: (c) =>
      c.status !== undefined && c.status >= 200 && c.status < 300 && (c.expectedStatus === 401 || c.expectedStatus === 403)
        ? `${statusText(c)}: a request that should be refused was served`
        : undefined,
  },
  // ── the server failed: exception class and log signal ──────────────────────────
  {
    id: 'syntax',
    failureType: 'LINT',
    strategy: serviceOrRoute,
    test: (c) => {
      if (!c.serverSide) return undefined;
      const t = c.trace;
      const k = cls(c, PY_SYNTAX);
      if (k && (!t || t.language === 'python')) return `${k}: the code does not parse${where(c)}`;
      if (t && t.language === 'node' && t.exceptionClass === 'SyntaxError' && !/JSON/.test(t.message)) {
        return `SyntaxError: the code does not parse${where(c)}`;
      }
      return undefined;
    },
  },
  {
    id: 'missing-module',
    failureType: 'RUNTIME',
    strategy: (c) => (isOwnModule(c) ? 'IMPORT' : 'DEPENDENCY'),
    test: (c) => {
      if (!c.serverSide) return undefined;
      const k = cls(c, MODULE_MISSING);
      const m = PY_NO_MODULE.exec(c.text) ?? NODE_MODULE_MISSING.exec(c.text);
      if (k && /cannot import name/.test(c.messages.join('\n'))) return undefined;
      if (k || m) return `missing module${m?.[1] ? ` '${m[1]}'` : ''}${k ? ` (${k})` : ''}${where(c)}`;
      return undefined;
    },
  },
  {
    id: 'undefined-name',
    failureType: 'RUNTIME',
    strategy: 'IMPORT',
    test: (c) => {
      if (!c.serverSide) return undefined;
      const k = cls(c, NAME_ERRORS) ?? (cls(c, /^ImportError$/) && /cannot import name/.test(c.messages.join('\n')) ? 'ImportError' : undefined);
      return k ? `${k}: a name is used that is not defined or imported${where(c)}` : undefined;
    },
  },
  {
    id: 'schema-migration',
    failureType: 'SCHEMA_MIGRATION',
    strategy: 'DB',
    test: (c) => {
      if (!c.serverSide) return undefined;
      const m = SCHEMA.exec(c.text);
      return m ? `database schema behind the code: "${m[0]}"${where(c)}` : undefined;
    },
  },
  {
    id: 'integrity',
    failureType: 'RUNTIME',
    strategy: 'DB',
    test: (c) => {
      if (!c.serverSide) return undefined;
      const k = cls(c, INTEGRITY);
      const m = INTEGRITY.exec(c.text);
      return k || m ? `database constraint violated: ${k ?? m![0]}${where(c)}` : undefined;
    },
  },
  {
    id: 'database-down',
    failureType: 'INFRA',
    strategy: 'DB',
    test: (c) => {
      if (!c.serverSide) return undefined;
      const k = cls(c, DB_CLASS);
      const m = DB_DOWN.exec(c.messages.join('\n'));
      return k && m ? `database unreachable: ${k}: "${m[0]}"` : undefined;
    },
  },
  {
    id: 'security-exception',
    failureType: 'SECURITY',
    strategy: 'AUTH',
    test: (c) => {
      if (!c.serverSide && !statusIs(c, 401, 403)) return undefined;
      const k = cls(c, SECURITY_CLASS);
      if (k) return `security exception ${k}${where(c)}`;
      if (statusIs(c, 401, 403)) {
        const m = /CSRF|csrf token/i.exec(`${c.body}\n${c.text}`);
        if (m) return `${statusText(c)} with a CSRF signal: "${m[0]}"`;
      }
      return undefined;
    },
  },
  {
    id: 'routing-error',
    failureType: 'RUNTIME',
    strategy: 'ROUTE',
    test: (c) => {
      if (!c.serverSide) return undefined;
      const k = cls(c, ROUTING_ERROR);
      return k ? `routing error ${k}${where(c)}` : undefined;
    },
  },
  {
    id: 'validation-exception',
    failureType: 'RUNTIME',
    strategy: 'VALIDATION',
    test: (c) => {
      if (!c.serverSide || !c.trace) return undefined;
      const k = cls(c, VALIDATION_CLASS);
      return k ? `validation exception ${k}${where(c)}` : undefined;
    },
  },
  {
    id: 'exception',
    failureType: 'RUNTIME',
    strategy: serviceOrRoute,
    test: (c) => {
      if (!c.serverSide || !c.trace) return undefined;
      const lang = c.trace.language === 'node' && c.topFrame && /(?:^|\/)(?:dist|build|out)\//.test(c.topFrame.file) ? ' in compiled code' : '';
      return `exception ${c.trace.exceptionClass}${lang}${c.status ? ` with ${statusText(c)}` : ''}${where(c)}`;
    },
  },
  // ── the app answered with a status the scenario did not expect ─────────────────
  {
    id: 'server-error',
    failureType: 'RUNTIME',
    strategy: 'SERVICE',
    test: (c) => (c.status !== undefined && c.status >= 500 && c.status !== 501 ? `${statusText(c)}; no trace in the log` : undefined),
  },
  {
    id: 'not-implemented',
    failureType: 'RUNTIME',
    strategy: 'ROUTE',
    test: (c) => (statusIs(c, 501) ? `${statusText(c)}: not implemented` : undefined),
  },
  {
    id: 'row-missing',
    failureType: 'RUNTIME',
    strategy: 'DB',
    test: (c) => {
      if (!statusIs(c, 404) || FRAMEWORK_404.test(c.body) || NO_ROUTE.test(c.body)) return undefined;
      const m = ROW_MISSING.exec(c.body);
      return m ? `${statusText(c)}: the body says a record is missing ("${m[0]}")` : undefined;
    },
  },
  {
    id: 'route-missing',
    failureType: 'RUNTIME',
    strategy: 'ROUTE',
    test: (c) => (statusIs(c, 404, 405) ? `${statusText(c)}: ${c.status === 405 ? 'method not allowed' : 'no such route'}` : undefined),
  },
  {
    id: 'auth',
    failureType: 'RUNTIME',
    strategy: 'AUTH',
    test: (c) => (statusIs(c, 401, 403) ? `${statusText(c)}: authentication or authorisation refused` : undefined),
  },
  {
    id: 'validation',
    failureType: 'RUNTIME',
    strategy: 'VALIDATION',
    test: (c) => {
      if (statusIs(c, 400, 413, 415, 422)) return `${statusText(c)}: the request was rejected as invalid`;
      // The app accepted what the scenario says it must reject.
      if (c.status !== undefined && c.status < 300 && (c.expectedStatus === 400 || c.expectedStatus === 422)) {
        return `${statusText(c)}: invalid input was accepted`;
      }
      return undefined;
    },
  },
  {
    id: 'conflict',
    failureType: 'RUNTIME',
    strategy: 'DB',
    test: (c) => (statusIs(c, 409) ? `${statusText(c)}: conflict with existing data` : undefined),
  },
  {
    id: 'missing-variable',
    failureType: 'TEST_ASSERT',
    strategy: 'CONFIG',
    test: (c) => c.failures.find((f) => /variable|skipped/i.test(f)),
  },
  {
    id: 'json-expectation',
    failureType: 'TEST_ASSERT',
    strategy: 'SERVICE',
    test: (c) =>
      c.status !== undefined && c.status === c.expectedStatus
        ? c.failures.find((f) => /json|body|expected/i.test(f)) ?? (c.failures.length ? c.failures[0] : undefined)
        : undefined,
  },
  {
    id: 'other-status',
    failureType: 'RUNTIME',
    strategy: 'SERVICE',
    test: (c) => (c.status !== undefined && c.status > 0 && c.status !== c.expectedStatus ? statusText(c) : undefined),
  },
  {
    id: 'no-answer',
    failureType: 'INFRA',
    strategy: 'INFRA',
    test: (c) => (c.status === 0 ? 'no answer from the app' : undefined),
  },
];

/** Whether a missing module is the app's own (a relative path, or a package the workspace frames live in). */
function isOwnModule(c: RuleContext): boolean {
  const name = (PY_NO_MODULE.exec(c.text) ?? NODE_MODULE_MISSING.exec(c.text))?.[1];
  if (!name) return false;
  if (name.startsWith('.') || name.startsWith('/')) return true;
  if (!c.trace) return false;
  const top = name.split('.')[0]!;
  const frames = [c.trace.frames, ...c.trace.causes.map((x) => x.frames)].flat();
  return frames.some((f) => f.inWorkspace && f.file.split('/').slice(0, -1).includes(top));
}
