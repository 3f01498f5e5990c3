/**
 * The engine's public face. The language server and the command line use only what is exported here.
 */
export * from './model';
export { runSmoke, type RunSmokeOptions } from './run';
export { loadConfig, type LoadedConfig } from './config';
export { renderViolationReport } from './report';
export { classify, classifyLog } from './classify';
