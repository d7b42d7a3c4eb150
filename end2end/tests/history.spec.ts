import { expect, test } from '@playwright/test';
import { ADMIN, USER, hydrated, screenshotPath, signIn } from './helpers';

test("a session's story: the owner from My devices, the admin from the dashboard", async ({ browser, baseURL }) => {
  // The user signs in, then confirms the password (a regeneration: a second id in the story).
  const userContext = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const user = await userContext.newPage();
  await signIn(user, USER);
  await user.goto('/sessions');
  await hydrated(user);
  const mine = user.locator('[data-testid=devices] li').filter({ hasText: 'This device' });
  await mine.getByRole('link', { name: 'History' }).click();
  await expect(user).toHaveURL(/\/sessions\/[A-Za-z0-9_-]+$/);
  const ownStory = user.locator('[data-testid=timeline]');
  await expect(ownStory.locator('tr[data-kind=login_ok]')).toHaveCount(1);
  await expect(ownStory).toContainText('Chrome');

  // The admin opens the same session from the live list and sees the same chain.
  const adminContext = await browser.newContext({ baseURL, viewport: { width: 1280, height: 800 } });
  const admin = await adminContext.newPage();
  await signIn(admin, ADMIN);
  await admin.goto('/admin');
  await hydrated(admin);
  const row = admin.locator('[data-testid=admin-sessions] tbody tr').filter({ hasText: USER.email }).last();
  await row.getByRole('link', { name: 'Story' }).click();
  await expect(admin).toHaveURL(/\/admin\/sessions\/[A-Za-z0-9_-]+$/);
  const story = admin.locator('[data-testid=timeline]');
  await expect(story.locator('tbody tr').first()).toBeVisible();
  // This user's session, by the handle in the owner's address bar: the same story.
  const userHandle = user.url().split('/').pop()!;
  await admin.goto('/admin/sessions/' + userHandle);
  await expect(story.locator('tr[data-kind=login_ok]')).toHaveCount(1);
  await expect(admin.locator('[data-testid=chain] li')).toHaveCount(1);
  const path = screenshotPath('timeline');
  if (path && test.info().project.name === 'sqlite') await admin.screenshot({ path, fullPage: true });

  // A user cannot read the admin's story through their own page.
  const adminHandle = admin.url().split('/').pop();
  await user.goto('/admin/sessions/' + adminHandle);
  await expect(user.getByRole('heading', { name: 'Session story' })).toHaveCount(0);
  await userContext.close();
  await adminContext.close();
});
