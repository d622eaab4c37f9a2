/**
 * What `require('serial-flash')` loads: serial-flash is an ES module, which CommonJS cannot
 * load synchronously on Node 20, so this says how to load it instead of Node's
 * ERR_PACKAGE_PATH_NOT_EXPORTED.
 */
const error = new Error(
  "serial-flash is an ES module and cannot be loaded with require(); from CommonJS use `const { flash } = await import('serial-flash')` inside an async function, or name your file .mjs (or set \"type\": \"module\" in your package.json) and use `import { flash } from 'serial-flash'`.",
);
(error as Error & { code: string }).code = 'ERR_REQUIRE_ESM';
throw error;
