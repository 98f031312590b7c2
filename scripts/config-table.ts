/**
 * Prints the README's configuration table from the one source of truth (src/config/defaults.ts), so the docs
 * cannot drift: `npx tsx scripts/config-table.ts`. A test checks the README carries exactly this table.
 */
import { configTable } from '../src/config/table.js';

process.stdout.write(configTable() + '\n');
