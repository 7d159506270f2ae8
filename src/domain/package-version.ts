/**
 * This package's name and version, as it names itself to Google (`x-goog-api-client`, `user-agent`) and to users
 * (`--version`). A test keeps the version equal to package.json's.
 *
 * Pure: safe to import from workflow code.
 */

/** The package's name on the npm registry. */
export const PACKAGE_NAME = 'temporal-gcp-lro';
/** The package's version. */
export const PACKAGE_VERSION = '0.2.0';
