import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder that holds the composed schemas and the operations. */
export const SCHEMA_DIR = path.dirname(fileURLToPath(import.meta.url));
