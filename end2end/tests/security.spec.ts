import { expect, test } from '@playwright/test';
import { ADMIN, screenshotPath, signIn } from './helpers';

test('the security page grades this deployment, each setting with its fix', async ({ page }) => {
  await signIn(page, ADMIN);
  await page.getByRole('link', { name: 'Security' }).click();
  await expect(page).toHaveURL(/\/admin\/security$/);
  // The browser tests serve plain HTTP: transport is the thing to fix.
  await expect(page.getByTestId('posture-grade')).toHaveText(/^Grade [A-F]$/);
  const tls = page.locator('[data-testid=posture] tr[data-item="TLS and HSTS"]');
  await expect(tls).toContainText('fix this');
  await expect(tls).toContainText('HALLPASS_TLS_CERT');
  await expect(page.locator('[data-testid=posture] tr[data-item="Idle timeout"]')).toContainText('good');

  // The audit from outside: a throwaway account, this deployment's own origin, progress while
  // it runs, then the report (Hallpass over HTTP: nothing to report).
  await page.getByRole('button', { name: 'Run the audit' }).click();
  const audit = page.getByTestId('own-audit');
  await expect(audit.getByTestId('audit-grade')).toHaveText('Grade A', { timeout: 60_000 });
  await expect(audit.getByTestId('audit-report')).toContainText('No findings.');
  await expect(audit).toContainText(`by ${ADMIN.email}`);
  const path = screenshotPath('security');
  if (path && test.info().project.name === 'sqlite') await page.screenshot({ path, fullPage: true });
});
