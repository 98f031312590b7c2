import { describePopularSuggestions } from './support/suggestions.js';

describePopularSuggestions('SQLite', { env: async () => ({}) });
