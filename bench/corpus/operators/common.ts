import type { AppSources, Fault } from '../faults';

export type FaultDraft = Omit<Fault, 'id' | 'app' | 'framework' | 'language' | 'runtime'> & { runtime?: Fault['runtime'] };

export function makeFault(app: AppSources, d: FaultDraft): Fault {
  return {
    id: `${app.app.name}:${d.kind}:${d.file}:${d.line}:${d.variant}`,
    app: app.app.name,
    framework: app.app.framework,
    language: app.app.language,
    runtime: d.runtime ?? 'process',
    ...d,
  };
}
