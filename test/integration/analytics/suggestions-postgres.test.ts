// @services postgres
import { serviceUrl } from '../../support/services.js';
import { freshDatabase, type FreshDatabase } from './support/postgres.js';
import { describePopularSuggestions } from './support/suggestions.js';

let db: FreshDatabase | undefined;

describePopularSuggestions('PostgreSQL', {
  async env() {
    db = await freshDatabase(serviceUrl('postgres'));
    return { DATABASE_URL: db.url };
  },
  cleanup: async () => db?.drop(),
});
