/**
 * Python's standard library: top-level module names (as `sys.stdlib_module_names` lists them for
 * CPython 3.11, private ones left out), and well-known names defined inside stdlib modules.
 */

export const PYTHON_STDLIB_MODULES: ReadonlySet<string> = new Set([
  'abc', 'aifc', 'antigravity', 'argparse', 'array', 'ast', 'asynchat', 'asyncio', 'asyncore', 'atexit',
  'audioop', 'base64', 'bdb', 'binascii', 'bisect', 'builtins', 'bz2', 'cProfile', 'calendar', 'cgi',
  'cgitb', 'chunk', 'cmath', 'cmd', 'code', 'codecs', 'codeop', 'collections', 'colorsys', 'compileall',
  'concurrent', 'configparser', 'contextlib', 'contextvars', 'copy', 'copyreg', 'crypt', 'csv', 'ctypes',
  'curses', 'dataclasses', 'datetime', 'dbm', 'decimal', 'difflib', 'dis', 'distutils', 'doctest', 'email',
  'encodings', 'ensurepip', 'enum', 'errno', 'faulthandler', 'fcntl', 'filecmp', 'fileinput', 'fnmatch',
  'fractions', 'ftplib', 'functools', 'gc', 'genericpath', 'getopt', 'getpass', 'gettext', 'glob',
  'graphlib', 'grp', 'gzip', 'hashlib', 'heapq', 'hmac', 'html', 'http', 'idlelib', 'imaplib', 'imghdr',
  'imp', 'importlib', 'inspect', 'io', 'ipaddress', 'itertools', 'json', 'keyword', 'lib2to3', 'linecache',
  'locale', 'logging', 'lzma', 'mailbox', 'mailcap', 'marshal', 'math', 'mimetypes', 'mmap', 'modulefinder',
  'msilib', 'msvcrt', 'multiprocessing', 'netrc', 'nis', 'nntplib', 'nt', 'ntpath', 'nturl2path', 'numbers',
  'opcode', 'operator', 'optparse', 'os', 'ossaudiodev', 'pathlib', 'pdb', 'pickle', 'pickletools', 'pipes',
  'pkgutil', 'platform', 'plistlib', 'poplib', 'posix', 'posixpath', 'pprint', 'profile', 'pstats', 'pty',
  'pwd', 'py_compile', 'pyclbr', 'pydoc', 'pydoc_data', 'pyexpat', 'queue', 'quopri', 'random', 're',
  'readline', 'reprlib', 'resource', 'rlcompleter', 'runpy', 'sched', 'secrets', 'select', 'selectors',
  'shelve', 'shlex', 'shutil', 'signal', 'site', 'smtpd', 'smtplib', 'sndhdr', 'socket', 'socketserver',
  'spwd', 'sqlite3', 'sre_compile', 'sre_constants', 'sre_parse', 'ssl', 'stat', 'statistics', 'string',
  'stringprep', 'struct', 'subprocess', 'sunau', 'symtable', 'sys', 'sysconfig', 'syslog', 'tabnanny',
  'tarfile', 'telnetlib', 'tempfile', 'termios', 'textwrap', 'this', 'threading', 'time', 'timeit',
  'tkinter', 'token', 'tokenize', 'tomllib', 'trace', 'traceback', 'tracemalloc', 'tty', 'turtle',
  'turtledemo', 'types', 'typing', 'unicodedata', 'unittest', 'urllib', 'uu', 'uuid', 'venv', 'warnings',
  'wave', 'weakref', 'webbrowser', 'winreg', 'winsound', 'wsgiref', 'xdrlib', 'xml', 'xmlrpc', 'zipapp',
  'zipfile', 'zipimport', 'zlib', 'zoneinfo',
]);

/** Names commonly used unqualified, with the module that provides them (`from module import name`). */
export const PYTHON_STDLIB_NAMES: Readonly<Record<string, string>> = {
  Decimal: 'decimal',
  defaultdict: 'collections',
  OrderedDict: 'collections',
  Counter: 'collections',
  namedtuple: 'collections',
  deque: 'collections',
  dataclass: 'dataclasses',
  field: 'dataclasses',
  Enum: 'enum',
  IntEnum: 'enum',
  Path: 'pathlib',
  partial: 'functools',
  reduce: 'functools',
  lru_cache: 'functools',
  wraps: 'functools',
  timedelta: 'datetime',
  timezone: 'datetime',
  date: 'datetime',
  Any: 'typing',
  Optional: 'typing',
  Union: 'typing',
  List: 'typing',
  Dict: 'typing',
  Tuple: 'typing',
  Callable: 'typing',
  Iterable: 'typing',
  Iterator: 'typing',
  UUID: 'uuid',
  uuid4: 'uuid',
  sleep: 'time',
  chain: 'itertools',
  contextmanager: 'contextlib',
  suppress: 'contextlib',
};

/**
 * Names that are both a stdlib module and a class inside it (`datetime.datetime`): which import
 * the code wants depends on the attributes it reads. Attributes of the class mean
 * `from module import name`; anything else means `import module`.
 */
export const PYTHON_MODULE_OR_CLASS: Readonly<Record<string, ReadonlySet<string>>> = {
  datetime: new Set(['now', 'utcnow', 'today', 'fromisoformat', 'fromtimestamp', 'utcfromtimestamp', 'strptime', 'combine', 'min', 'max']),
};
