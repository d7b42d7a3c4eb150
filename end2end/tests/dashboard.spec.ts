import { expect, test, type Browser } from '@playwright/test';
import { ADMIN, USER, hydrated, live, screenshotPath, setPolicy, signIn } from './helpers';

async function signedInPage(browser: Browser, baseURL: string, who = USER) {
  const context = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, who);
  await live(page);
  return { context, page };
}

test.afterEach(async ({ request, baseURL }) => {
  await setPolicy(request, baseURL!, 1800);
});

test('the admin sees a new session live, revokes it, and the user is told within a second', async ({ browser, baseURL }) => {
  const admin = await signedInPage(browser, baseURL!, ADMIN);
  await admin.page.goto('/admin');
  await hydrated(admin.page);
  await live(admin.page);
  const userRows = admin.page.locator('[data-testid=admin-sessions] tbody tr').filter({ hasText: USER.email });
  const before = await userRows.count();

  const user = await signedInPage(browser, baseURL!, USER);
  // No reload on the admin side: the live stream brings the new row.
  await expect(userRows).toHaveCount(before + 1);
  const path = screenshotPath('admin');
  if (path && test.info().project.name === 'sqlite') await admin.page.screenshot({ path, fullPage: true });

  // The list is most recently active first: the session just signed in is the user's first row
  // (earlier spec files leave other sessions of this user alive).
  await userRows.first().getByRole('button', { name: 'Revoke' }).click();
  await expect(admin.page.getByRole('status')).toHaveText('Session ended.');
  // The user's open tab learns it by itself, without a click.
  await expect(user.page).toHaveURL(/\/login\?reason=revoked$/, { timeout: 1_000 });
  await expect(user.page.getByRole('status')).toHaveText('This session was ended from another device or by an administrator.');
  await expect(userRows).toHaveCount(before);

  await expect(admin.page.locator('[data-testid=audit]')).toContainText('by admin admin@example.test');
  await admin.context.close();
  await user.context.close();
});

test('my devices lists both devices and signs the other one out', async ({ browser, baseURL }) => {
  const laptop = await signedInPage(browser, baseURL!, USER);
  const phone = await signedInPage(browser, baseURL!, USER);
  await phone.page.goto('/sessions');
  await hydrated(phone.page);
  await live(phone.page);
  const devices = phone.page.locator('[data-testid=devices] li');
  await expect(devices.filter({ hasText: 'This device' })).toHaveCount(1);
  const count = await devices.count();
  expect(count).toBeGreaterThanOrEqual(2);
  await expect(devices.first()).toContainText('Chrome');
  const path = screenshotPath('devices');
  if (path && test.info().project.name === 'sqlite') await phone.page.screenshot({ path, fullPage: true });

  await phone.page.getByRole('button', { name: 'Sign out all other devices' }).click();
  await expect(phone.page.getByRole('status')).toContainText('Signed out');
  await expect(devices).toHaveCount(1);
  await expect(laptop.page).toHaveURL(/\/login\?reason=revoked$/, { timeout: 1_000 });
  await laptop.context.close();
  await phone.context.close();
});

test('the policy editor validates, previews and saves', async ({ browser, baseURL }) => {
  const admin = await signedInPage(browser, baseURL!, ADMIN);
  await admin.page.goto('/admin/policy');
  await hydrated(admin.page);
  const idle = admin.page.getByLabel('Idle timeout (seconds)');
  await expect(idle).toHaveValue('1800');

  await idle.fill('0');
  await expect(admin.page.getByText('Idle timeout must be a positive number of seconds.')).toBeVisible();
  await expect(admin.page.getByRole('button', { name: 'Save policy' })).toBeDisabled();
  await idle.fill('90000');
  await expect(admin.page.getByText('The idle timeout cannot be longer than the absolute lifetime.')).toBeVisible();

  await idle.fill('600');
  await admin.page.getByRole('button', { name: 'Preview effect' }).click();
  await expect(admin.page.getByRole('status')).toHaveText(/^Preview: 0 of \d+ live sessions? would end now\.$/);
  await admin.page.getByRole('button', { name: 'Save policy' }).click();
  await expect(admin.page.getByRole('status')).toHaveText('Saved. Live sessions follow the new policy from their next request.');
  await admin.page.reload();
  await expect(admin.page.getByLabel('Idle timeout (seconds)')).toHaveValue('600');
  await admin.context.close();
});

test('the countdown warns before the idle timeout and can keep the session alive', async ({ browser, baseURL, request }) => {
  await setPolicy(request, baseURL!, 12);
  const user = await signedInPage(browser, baseURL!, USER);
  const banner = user.page.getByRole('alert').filter({ hasText: 'because of inactivity' });
  await expect(banner).toBeVisible({ timeout: 10_000 });
  await banner.getByRole('button', { name: 'Stay signed in' }).click();
  await expect(banner).toBeHidden();
  // Left alone, the page follows the server to the sign-in page with the reason.
  await expect(user.page).toHaveURL(/\/login\?reason=idle$/, { timeout: 20_000 });
  await user.context.close();
});

test('the admin list is filtered and paged by the server', async ({ browser, baseURL }) => {
  const user = await signedInPage(browser, baseURL!, USER);
  const admin = await signedInPage(browser, baseURL!, ADMIN);
  await admin.page.goto('/admin');
  await hydrated(admin.page);
  const rows = admin.page.locator('[data-testid=admin-sessions] tbody tr');
  const range = admin.page.getByTestId('sessions-range');
  await expect(range).toHaveText(/^Sessions 1–\d+ of \d+$/);
  await expect(admin.page.getByRole('button', { name: 'Previous' })).toBeDisabled();

  await admin.page.getByLabel('Filter').fill(USER.email.toUpperCase());
  await expect(rows.first()).toContainText(USER.email);
  await expect(rows.filter({ hasNotText: USER.email })).toHaveCount(0);
  const shown = await rows.count();
  expect(shown).toBeGreaterThanOrEqual(1);
  await expect(range).toHaveText(`Sessions 1–${shown} of ${shown}`);

  await admin.page.getByLabel('Filter').fill('no-such-account');
  await expect(range).toHaveText('No live sessions');
  await expect(rows).toHaveCount(0);
  await admin.page.getByLabel('Filter').fill('');
  await expect(rows.filter({ hasText: ADMIN.email }).first()).toBeVisible();
  await admin.context.close();
  await user.context.close();
});
