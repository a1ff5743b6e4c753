// axe for the browser tests, the rules quality.spec.ts holds every view to (WCAG 2.x A/AA and
// axe's best practices). Its own module so specs can share it: a spec must not import a spec.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect } from './fixtures.ts';

/** No violation on the page as it is now; a failure lists each rule and where. */
export async function expectNoViolations(page: Page, state: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice']).analyze();
  const summary = violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  expect(summary, `axe on ${state}`).toEqual([]);
}
