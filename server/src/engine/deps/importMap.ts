/**
 * Python import names whose distribution (the name to install) differs. Most distributions install
 * a module of their own name (requests → requests); these well-known ones do not. Keys are module
 * names as imported (dotted keys match the longest prefix first: `google.protobuf` before
 * `google`); values are distribution names as the registry spells them.
 *
 * Where several distributions provide the same module, the value is the one most projects mean:
 * `psycopg2` → `psycopg2-binary` (prebuilt wheels; the source `psycopg2` needs a compiler and
 * libpq headers), `cv2` → `opencv-python` (not the headless or contrib builds), `magic` →
 * `python-magic`, `Crypto` → `pycryptodome` (the maintained drop-in for PyCrypto).
 */
export const PYTHON_IMPORT_TO_DISTRIBUTION: Readonly<Record<string, string>> = Object.freeze({
  attr: 'attrs',
  bs4: 'beautifulsoup4',
  cairo: 'pycairo',
  Crypto: 'pycryptodome',
  cv2: 'opencv-python',
  dateutil: 'python-dateutil',
  dns: 'dnspython',
  docx: 'python-docx',
  dotenv: 'python-dotenv',
  fitz: 'PyMuPDF',
  gi: 'PyGObject',
  git: 'GitPython',
  'google.protobuf': 'protobuf',
  jose: 'python-jose',
  jwt: 'PyJWT',
  ldap: 'python-ldap',
  magic: 'python-magic',
  MySQLdb: 'mysqlclient',
  multipart: 'python-multipart',
  nacl: 'PyNaCl',
  OpenSSL: 'pyOpenSSL',
  PIL: 'Pillow',
  pkg_resources: 'setuptools',
  pptx: 'python-pptx',
  psycopg2: 'psycopg2-binary',
  pythonjsonlogger: 'python-json-logger',
  serial: 'pyserial',
  skimage: 'scikit-image',
  sklearn: 'scikit-learn',
  slugify: 'python-slugify',
  socks: 'PySocks',
  telegram: 'python-telegram-bot',
  usb: 'pyusb',
  win32api: 'pywin32',
  win32con: 'pywin32',
  yaml: 'PyYAML',
  zmq: 'pyzmq',
  github: 'PyGithub',
  kafka: 'kafka-python',
  mpl_toolkits: 'matplotlib',
  Xlib: 'python-xlib',
  xdist: 'pytest-xdist',
  websocket: 'websocket-client',
  snappy: 'python-snappy',
  editor: 'python-editor',
  memcache: 'python-memcached',
  OpenGL: 'PyOpenGL',
  wx: 'wxPython',
  Bio: 'biopython',
  grpc: 'grpcio',
  googleapiclient: 'google-api-python-client',
  'google.cloud.storage': 'google-cloud-storage',
  'azure.storage.blob': 'azure-storage-blob',
  'azure.identity': 'azure-identity',
  markdown_it: 'markdown-it-py',
  ruamel: 'ruamel.yaml',
  faiss: 'faiss-cpu',
  nmap: 'python-nmap',
});

/**
 * The distribution that provides a Python module: the mapped name for the longest dotted prefix
 * in the table, else the top-level module name itself (with `_` kept: the registry treats `_`,
 * `-` and `.` alike).
 */
export function pythonDistributionFor(module: string): { name: string; mapped: boolean } {
  const parts = module.split('.');
  for (let n = parts.length; n > 0; n--) {
    const key = parts.slice(0, n).join('.');
    if (Object.prototype.hasOwnProperty.call(PYTHON_IMPORT_TO_DISTRIBUTION, key)) {
      return { name: PYTHON_IMPORT_TO_DISTRIBUTION[key], mapped: true };
    }
  }
  return { name: parts[0], mapped: false };
}

/**
 * The npm package of a bare specifier: `csv-stringify/sync` → `csv-stringify`, `@scope/pkg/sub`
 * → `@scope/pkg`. Undefined for relative or absolute specifiers (`./x`, `../x`, `/x`), URLs,
 * and `#` subpath imports, which are never packages.
 */
export function npmPackageOf(specifier: string): string | undefined {
  if (/^(\.{1,2}(\/|$)|\/|#|[a-zA-Z][a-zA-Z0-9+.-]*:)/.test(specifier)) return undefined;
  const parts = specifier.split('/');
  if (specifier.startsWith('@')) return parts.length >= 2 && parts[1] ? `${parts[0]}/${parts[1]}` : undefined;
  return parts[0] || undefined;
}
