import { languageOf } from './syntax';

/** Source files of a workspace, read through the caller's reader (a sandbox or an editor's buffers can stand in). */
export interface SourceReader {
  files: string[];
  read(file: string): Promise<string | undefined>;
}

const MAX_FILES = 2000;
const MAX_FILE_CHARS = 512 * 1024;

/** The workspace's Python and JavaScript/TypeScript sources (bounded in number and size), in path order. */
export async function loadSources(reader: SourceReader): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const files = reader.files.filter((f) => languageOf(f) && !/(^|\/)(node_modules|\.git|dist|build|out|\.venv|venv|__pycache__)\//.test(f)).sort();
  for (const file of files.slice(0, MAX_FILES)) {
    const text = await reader.read(file).catch(() => undefined);
    if (text !== undefined && text.length <= MAX_FILE_CHARS) out.set(file, text);
  }
  return out;
}
