// The package entry (`import ... from 'sockspec'`): loads the TypeScript library through
// tsx, so that plain Node and test runners that do not transform node_modules can use it.
import { tsImport } from 'tsx/esm/api';

const lib = await tsImport('./lib.ts', import.meta.url);
export const { conformance, assertConformance, modelAdapter, execAdapter, serve, DEFAULT_PROFILE, OPS } = lib;
