/**
 * The store benchmarks' synthetic corpus: deterministic templated sentences over a small
 * vocabulary, so every query term occurs in thousands of memories (the worst case for a
 * full-text index).
 */
const people = ['Ana', 'Ben', 'Chloe', 'Dev', 'Elif', 'Farah', 'Goran', 'Hana', 'Ivo', 'Jun', 'Kira', 'Luca', 'Mina', 'Nils', 'Omar', 'Priya'];
const verbs = ['fixed', 'reviewed', 'planned', 'postponed', 'discussed', 'cancelled', 'booked', 'finished', 'started', 'documented', 'tested', 'deployed'];
const things = ['the billing service', 'a dentist appointment', 'the quarterly report', 'the garden shed', 'a trip to Kyoto', 'the database migration',
  'a birthday dinner', 'the marathon training plan', 'the kitchen renovation', 'a job interview', 'the onboarding guide', 'the photo album',
  'the load balancer', 'a piano lesson', 'the tax return', 'the wedding playlist', 'a flight to Lisbon', 'the API rate limits', 'the bike repair', 'a podcast episode'];
const whens = ['on Monday', 'last week', 'this morning', 'after lunch', 'yesterday evening', 'before the holidays', 'on Friday', 'at the weekend', 'in March', 'tonight'];
const details = ['because the deadline moved', 'with help from the team', 'despite the rain', 'and it went well', 'but it needs another pass', 'after a long call',
  'to save money', 'for the second time', 'without any issues', 'while travelling'];

export function sentence(r: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  return `${pick(people)} ${pick(verbs)} ${pick(things)} ${pick(whens)} ${pick(details)} (note ${Math.floor(r() * 1e6)}).`;
}

/** Short memory-like sentences for throughput benches (fixed, so runs compare). */
const SENTENCES = [
  'The user prefers dark mode in every editor.',
  'Deploys to production happen on Tuesdays after the standup.',
  'Remember that the staging database is reset every night at 2am UTC.',
  'Alice is allergic to peanuts; avoid suggesting Thai takeaway.',
  'The flaky integration test fails when the network mock times out.',
  'Bob asked for the quarterly report to be summarised in three bullet points.',
  'Our API rate limit is 600 requests per minute per token.',
  'The cat knocked the coffee mug off the desk again this morning.',
  'Use pnpm rather than npm in the monorepo, the lockfile depends on it.',
  'Meeting notes: the migration to Postgres 16 is postponed until March.',
  'She finished the marathon in just under four hours.',
  'Kubernetes pods restart when the memory limit of 512Mi is exceeded.',
  'The invoice from the design agency is still unpaid.',
  'Paris is the capital of France and sits on the Seine.',
  'He mentioned he would rather work asynchronously than join daily calls.',
  'Error budget for the search service was exhausted last week.',
];

/** `n` of the fixed sentences, cycling. */
export function texts(n: number): string[] {
  return Array.from({ length: n }, (_, i) => SENTENCES[i % SENTENCES.length]!);
}
