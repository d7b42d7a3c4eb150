import { expect, test, type Browser } from '@playwright/test';
import { ADMIN, hydrated, live, screenshotPath, signIn } from './helpers';

async function adminOnUsersPage(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, ADMIN);
  await page.goto('/admin/users');
  await hydrated(page);
  await live(page);
  return { context, page };
}

test('an admin adds a colleague with a one-time link, which works once', async ({ browser, baseURL }) => {
  const admin = await adminOnUsersPage(browser, baseURL!);
  const email = `linked-${test.info().project.name}-${Date.now()}@example.test`;
  await admin.page.getByLabel('E-mail').fill(email);
  await admin.page.getByLabel('Give them a one-time link').check();
  await admin.page.getByRole('button', { name: 'Add account' }).click();
  await expect(admin.page.getByRole('status')).toContainText(`Account ${email} created.`);
  const link = (await admin.page.getByTestId('set-password-link').textContent())!;
  expect(link).toMatch(/\/set-password\?token=[0-9a-f]{64}$/);
  await expect(admin.page.locator('[data-testid=users] tbody tr').filter({ hasText: email })).toHaveCount(1);
  // Paging controls read as such (one page here: both disabled).
  await expect(admin.page.getByRole('button', { name: 'Next', exact: true })).toBeDisabled();
  await expect(admin.page.getByRole('button', { name: 'Previous', exact: true })).toBeDisabled();

  const colleague = await browser.newContext({ baseURL });
  const page = await colleague.newPage();
  await page.goto(link);
  await hydrated(page);
  await page.getByLabel('New password').fill('my very own password');
  await page.getByLabel('Repeat it').fill('my very own password');
  await page.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(page.getByTestId('me-email')).toHaveText(email);

  // The same link, again: refused, and it says so.
  const again = await browser.newContext({ baseURL });
  const second = await again.newPage();
  await second.goto(link);
  await hydrated(second);
  await second.getByLabel('New password').fill('someone elses password');
  await second.getByLabel('Repeat it').fill('someone elses password');
  await second.getByRole('button', { name: 'Set password and sign in' }).click();
  await expect(second.getByRole('alert')).toContainText('no longer valid');
  await again.close();
  await colleague.close();
  await admin.context.close();
});

test("disabling an account says what it ends, and the user's open tab is told at once", async ({ browser, baseURL }) => {
  const admin = await adminOnUsersPage(browser, baseURL!);
  const who = { email: `leaver-${test.info().project.name}-${Date.now()}@example.test`, password: 'a departing password' };
  await admin.page.getByLabel('E-mail').fill(who.email);
  await admin.page.getByLabel('Initial password').fill(who.password);
  await admin.page.getByRole('button', { name: 'Add account' }).click();
  await expect(admin.page.getByRole('status')).toContainText('created');

  const leaver = await browser.newContext({ baseURL });
  const tab = await leaver.newPage();
  await signIn(tab, who);
  await live(tab);

  const row = admin.page.locator('[data-testid=users] tbody tr').filter({ hasText: who.email });
  // The live stream brings the new session into the count without a reload.
  await expect(row.getByTestId('live-sessions')).toHaveText('1');
  const path = screenshotPath('users');
  if (path && test.info().project.name === 'sqlite') await admin.page.screenshot({ path, fullPage: true });
  await row.getByRole('button', { name: 'Disable' }).click();
  const confirm = admin.page.getByRole('alertdialog');
  await expect(confirm).toContainText(`${who.email} can no longer sign in. 1 live session will end now.`);
  await confirm.getByRole('button', { name: 'Disable' }).click();
  await expect(admin.page.getByRole('status')).toContainText('1 session ended.');
  await expect(tab).toHaveURL(/\/login\?reason=role_changed$/, { timeout: 1_000 });
  await expect(row).toContainText('disabled');
  await expect(row.getByTestId('live-sessions')).toHaveText('0');
  await leaver.close();
  await admin.context.close();
});
