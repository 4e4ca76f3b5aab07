// The hub's administration console in a real browser (headless Chromium through playwright-core),
// run by console_e2e.cc (phase "hub") against a hub serving the console of 131016 and an edge
// (counter-01) serving the counter console, both connected through the real broker.
//
//  - ACC-1, ACC-4, SEC-2: an administrator adds a clerk through /staff/new at the hub; the clerk
//    signs in at the counter after replication, changes the initial password and sees only the
//    clerk's menus; the administrator disables the clerk at the hub and the clerk's open counter
//    session ends on its next request once the change has arrived.
//  - ACC-3: staff CSV import at the hub: a Shift_JIS (CP932) file and a UTF-8 file are previewed and
//    applied; a file with errors shows every line's error and applies nothing.
//  - OPS-1: 障害通知 at the hub (the hub runs with a disk floor of 100 %, so its data directory's space
//    is a real alarm): the banner on every page, the alarm sound (tones counted through the page's
//    AudioContext), the screen saying where and what, acknowledgement by button and its entry in
//    the operation log; ホーム's day at a glance; axe-core (wcag2a, wcag2aa) on both screens.
//  - ACC-4, SYS-1: the session idle timeout set at the hub's /settings (bound 1-480 minutes, domain
//    settings.h, checked again by the form) reaches the counter's database. That a session idle
//    past the timeout is signed out with the notice is proved in simulated time
//    (tests/console/app/console_app_test.cc), so no browser waits a wall-clock minute here.
//
// Environment: HUB_CONSOLE_URL, CONSOLE_URL (the edge's counter console), EDGE_API_AUTH (the
// Authorization header value of the edge's API), EDGE_API_URL (the edge's
// JSON API, polled to see replication), EDGE_DEVICE, CHROMIUM, WORK_DIR (CSV files), ADMIN_ID/
// ADMIN_PASSWORD, CLERK_ID/CLERK_PASSWORD (an enabled clerk who exists at the edge).
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_PATH = require.resolve('axe-core/axe.min.js');

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const hub = env('HUB_CONSOLE_URL');
const edge = env('CONSOLE_URL');
const edgeApi = env('EDGE_API_URL');
const edgeAuth = { Authorization: env('EDGE_API_AUTH') };  // "Bearer <token>" of the edge's API
const device = env('EDGE_DEVICE');
const workDir = env('WORK_DIR');

// Replication normally takes well under a second; the bound only keeps a broken build from hanging.
const kReplicationMs = 30_000;
const kClerkMenus = ['ホーム', '交付管理', '予約管理', '電話予約'];

// One browser; every test has contexts of its own (cookies are per context), so tests can run
// side by side and the clerk's counter session is apart from the administrator's hub session.
let browser;
before(async () => {
  mkdirSync(workDir, { recursive: true });
  browser = await chromium.launch({
    executablePath: env('CHROMIUM'),
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
  });
});
after(async () => { await browser?.close(); });

async function newPage() {
  const context = await browser.newContext({ locale: 'ja-JP' });
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  return page;
}

async function signIn(page, base, id, password) {
  await page.goto(`${base}/sign-in`);
  await page.getByLabel('ID').fill(id);
  await page.getByLabel('パスワード').fill(password);
  return submit(page, () => page.getByRole('button', { name: 'ログイン' }).click());
}

// Runs `act` (a click or a key press that submits a form) and waits for the page it leads to;
// returns that page's response (after redirects).
async function submit(page, act) {
  const [response] = await Promise.all([page.waitForNavigation(), act()]);
  return response;
}

const navLabels = async (page) => page.locator('nav[aria-label="メインメニュー"] a:visible').allTextContents();
const pathOf = (page) => { const u = new URL(page.url()); return u.pathname + u.search; };
const rowTexts = async (page) =>
  (await page.locator('table tbody tr').evaluateAll((rows) =>
    rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent.trim()))));
const hasSessionCookie = async (page) =>
  (await page.context().cookies()).some((c) => c.name.includes('madoguchi_session'));

// Polls `check` until it returns a truthy value (bounded), e.g. a record arriving at the edge.
async function until(what, check, timeoutMs = kReplicationMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end) throw new Error(`gave up after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}
async function edgeRecord(entity, key) {
  const r = await fetch(`${edgeApi}/api/v1/records/${entity}/${key}`, { headers: edgeAuth });
  return r.ok ? (await r.json()).body : undefined;
}
// Everything the edge wrote (password changes, operation log) has been acknowledged by the hub.
async function edgeOutboxDrained() {
  const s = await (await fetch(`${edgeApi}/api/v1/status`, { headers: edgeAuth })).json();
  return s.connected && s.outbox_depth === 0;
}

async function hubAdmin() {
  const page = await newPage();
  await signIn(page, hub, env('ADMIN_ID'), env('ADMIN_PASSWORD'));
  assert.equal(pathOf(page), '/');
  assert.ok((await navLabels(page)).includes('職員管理'));
  return page;
}

// axe-core's WCAG 2 A/AA violations on the page as it stands (injected: the context bypasses CSP).
async function axeViolations(page) {
  await page.addScriptTag({ path: AXE_PATH });
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa'] },
    resultTypes: ['violations'],
  }));
  return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

// Every console page an administrator reaches by following links from ホーム (one page per path, the
// first link to it; never sign-out, downloads or exports), in the order found.
async function crawl(page, base, limit = 60) {
  const origin = new URL(base).origin;
  const seen = new Set(['/']);
  const queue = ['/'];
  const pages = [];
  while (queue.length > 0 && pages.length < limit) {
    const target = queue.shift();
    const response = await page.goto(`${base}${target}`);
    if (!response || response.status() !== 200 || !(response.headers()['content-type'] ?? '').startsWith('text/html')) continue;
    pages.push(target);
    const hrefs = await page.locator('a[href]').evaluateAll((as) => as.map((a) => a.href));
    for (const href of hrefs) {
      const u = new URL(href);
      if (u.origin !== origin || seen.has(u.pathname)) continue;
      if (/sign-out|\.(csv|xlsx|pdf|png)$|export|download|^\/static\//.test(u.pathname)) continue;
      seen.add(u.pathname);
      queue.push(u.pathname + u.search);
    }
  }
  return pages;
}

// Each page at a desktop's 1280 px and a phone's 390 px: axe-core at 0, and at 390 px nothing wider
// than the screen (tables scroll inside their own region) and the menu folded into its disclosure.
async function checkWidths(base, paths) {
  const failures = [];
  for (const [width, height] of [[1280, 900], [390, 844]]) {
    const context = await browser.newContext({ locale: 'ja-JP', bypassCSP: true, viewport: { width, height } });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, base, env('ADMIN_ID'), env('ADMIN_PASSWORD'));
    for (const path of paths) {
      await page.goto(`${base}${path}`);
      for (const v of await axeViolations(page)) failures.push(`${width}px ${path}: ${v}`);
      if (width === 390) {
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        if (overflow > 0) failures.push(`390px ${path}: the page is ${overflow} px wider than the screen`);
        if (await page.locator('nav.site-nav--wide').isVisible()) failures.push(`390px ${path}: the wide menu is shown`);
      }
    }
    if (width === 390) {
      // The folded menu opens without script and leads on.
      await page.goto(`${base}/`);
      const menu = page.getByRole('navigation', { name: 'メインメニュー' });
      assert.ok(!(await menu.getByRole('link', { name: '操作ログ' }).isVisible()), 'the menu starts folded');
      await menu.locator('summary').click();
      await submit(page, () => menu.getByRole('link', { name: '操作ログ' }).click());
      assert.equal(pathOf(page), '/oplog');
    }
    await context.close();
  }
  return failures;
}

describe('hub console', { concurrency: true }, () => {
  test('issue 14, ACC-2: every page of the hub\'s and the counter\'s consoles passes axe at 1280 and 390 px, fits a phone, and folds its menu', async (t) => {
    for (const base of [hub, edge]) {
      const page = await newPage();
      await signIn(page, base, env('ADMIN_ID'), env('ADMIN_PASSWORD'));
      const paths = await crawl(page, base);
      await page.context().close();
      assert.ok(paths.length >= 5, `${base}: only ${JSON.stringify(paths)}`);
      t.diagnostic(`${base}: ${paths.length} pages: ${paths.join(' ')}`);
      const failures = await checkWidths(base, paths);
      assert.deepEqual(failures, [], `${base}: ${paths.length} pages: ${JSON.stringify(paths)}`);
    }
  });

  test('OPS-1: 障害通知 shows where and what, sounds until acknowledged, and the acknowledgement is logged; ホーム shows the day', async () => {
    const context = await browser.newContext({ locale: 'ja-JP', bypassCSP: true });
    // Counts the tones the console's script plays (every OscillatorNode started).
    await context.addInitScript(() => {
      window.__tones = 0;
      const create = AudioContext.prototype.createOscillator;
      AudioContext.prototype.createOscillator = function () {
        const osc = create.call(this);
        const start = osc.start.bind(osc);
        osc.start = (...args) => { window.__tones += 1; return start(...args); };
        return osc;
      };
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    await signIn(page, hub, env('ADMIN_ID'), env('ADMIN_PASSWORD'));
    // The watch checks every second: the disk alarm is up (a reload shows the banner).
    await until('the disk alarm', async () => {
      await page.goto(`${hub}/`);
      return page.locator('#alarm-banner').isVisible();
    });
    const banner = page.locator('#alarm-banner');
    assert.match(await banner.textContent(), /未確認の障害が\d+件あります/);
    await until('the alarm sound', () => page.evaluate(() => window.__tones > 0));

    // ホーム: the day at a glance.
    assert.match(await page.locator('main').textContent(), /本日の状況/);
    assert.match(await page.locator('#home-alarms').locator('..').textContent(), /未確認/);
    assert.deepEqual(await axeViolations(page), []);

    await submit(page, () => banner.getByRole('link', { name: '障害通知を確認する' }).click());
    assert.equal(pathOf(page), '/alarms');
    const rows = await rowTexts(page);
    const disk = rows.find((r) => r[1] === 'ディスク容量');
    assert.ok(disk, `no disk alarm in ${JSON.stringify(rows)}`);
    assert.match(disk[2], /^ハブ \//);  // where: the hub's data directory
    assert.match(disk[3], /ディスクの空きが/);  // what
    assert.deepEqual(await axeViolations(page), []);

    // Acknowledged by its button: the banner goes, the sound stops, the log says who.
    await submit(page, () => page.getByRole('button', { name: /^確認（ディスク容量/ }).click());
    assert.equal(pathOf(page), '/alarms');
    const acked = (await rowTexts(page)).find((r) => r[1] === 'ディスク容量');
    assert.match(acked[6], new RegExp(`${env('ADMIN_ID')}$`));
    // Whatever else stands on this machine (a test certificate near its expiry, say): all at once.
    if (await page.getByRole('button', { name: 'すべて確認' }).count()) {
      await submit(page, () => page.getByRole('button', { name: 'すべて確認' }).click());
    }
    assert.equal(await page.locator('#alarm-banner').isVisible(), false);
    const before = await page.evaluate(() => window.__tones);
    await sleep(16_000);  // longer than the repeat
    assert.equal(await page.evaluate(() => window.__tones), before);
    await page.goto(`${hub}/oplog`);
    assert.match(await page.locator('main').textContent(), /障害通知の確認/);
    await context.close();
  });


  test('ACC-4/SYS-1: the idle timeout set at the hub reaches the counter', async () => {
    const admin = await hubAdmin();
    await admin.getByRole('link', { name: 'システム設定' }).click();
    await admin.waitForURL(`${hub}/settings`);
    const idle = admin.getByLabel('自動ログアウトまでの時間（分）');
    // Below the bound: refused with the field's message, nothing saved.
    await idle.fill('0');
    assert.equal((await submit(admin, () => admin.getByRole('button', { name: '保存する' }).click())).status(), 422);
    assert.equal(await idle.getAttribute('aria-invalid'), 'true');
    assert.match(await admin.locator('#session_idle_minutes-error').textContent(), /自動ログアウトまでの時間は1から480までの整数で入力してください。/);
    assert.equal((await edgeRecord('setting', 'system'))?.session_idle_minutes ?? 15, 15);
    // The minimum.
    await idle.fill('1');
    assert.equal((await submit(admin, () => admin.getByRole('button', { name: '保存する' }).click())).status(), 200);
    assert.match(await admin.getByRole('status').textContent(), /システム設定を保存しました。/);
    assert.equal(await idle.inputValue(), '1');
    await until('the idle timeout at the edge', async () =>
      (await edgeRecord('setting', 'system'))?.session_idle_minutes === 1);

    // A counter session under the new timeout works as before.
    const clerk = await newPage();
    await signIn(clerk, edge, env('CLERK_ID'), env('CLERK_PASSWORD'));
    assert.equal(pathOf(clerk), '/');
    assert.deepEqual(await navLabels(clerk), kClerkMenus);
  });

  describe('staff management', { concurrency: 1 }, () => {
    test('ACC-1/ACC-4: a clerk added at the hub signs in at the counter, and is signed out there once disabled', async () => {
      const admin = await hubAdmin();
      await admin.getByRole('link', { name: '職員管理' }).click();
      await admin.waitForURL(`${hub}/staff`);
      await admin.getByRole('link', { name: '職員を追加する' }).click();
      await admin.waitForURL(`${hub}/staff/new`);

      // Typed with the keyboard, as a person fills the form; first with a password the rules refuse.
      await admin.getByLabel('職員ID').focus();
      await admin.keyboard.type('clerk02');
      await admin.keyboard.press('Tab');
      await admin.keyboard.type('窓口 次郎');
      await admin.keyboard.press('Tab');
      assert.equal(await admin.evaluate(() => document.activeElement.id), 'role_id');
      await admin.getByLabel('権限').selectOption({ label: '窓口職員' });
      await admin.keyboard.press('Tab');
      assert.equal(await admin.evaluate(() => document.activeElement.id), 'initial_password');
      await admin.keyboard.type('short');
      assert.equal((await submit(admin, () => admin.keyboard.press('Enter'))).status(), 422);
      assert.equal(pathOf(admin), '/staff/new');
      assert.ok(await admin.locator('#initial_password-error').isVisible());
      assert.equal(await admin.getByLabel('職員ID').inputValue(), 'clerk02');
      assert.equal(await admin.getByLabel('氏名').inputValue(), '窓口 次郎');
      await admin.getByLabel('初期パスワード').focus();
      await admin.keyboard.type('Init-Pass-2026x');
      await submit(admin, () => admin.keyboard.press('Enter'));
      assert.equal(pathOf(admin), '/staff?done=added');
      assert.match(await admin.getByRole('status').textContent(), /職員を追加しました。/);
      assert.ok((await rowTexts(admin)).some((r) => r.join('|') === 'clerk02|窓口 次郎|窓口職員|有効'));

      // At the counter, after replication: the initial password must be changed first.
      await until('clerk02 at the edge', async () => (await edgeRecord('staff', 'clerk02'))?.enabled === true);
      const clerk = await newPage();
      await signIn(clerk, edge, 'clerk02', 'Init-Pass-2026x');
      assert.equal(pathOf(clerk), '/password');
      assert.deepEqual(await navLabels(clerk), [], 'no menu while the initial password is in use');
      await clerk.getByLabel('現在のパスワード').fill('Init-Pass-2026x');
      await clerk.getByLabel('新しいパスワード', { exact: true }).fill('Jiro-Pass-2027y');
      await clerk.getByLabel('新しいパスワード（確認のため、もう一度入力）').fill('Jiro-Pass-2027y');
      await submit(clerk, () => clerk.getByRole('button', { name: 'パスワードを変更する' }).click());
      assert.match(await clerk.getByRole('status').textContent(), /パスワードを変更しました。/);
      await clerk.getByRole('link', { name: 'ホームへ' }).click();
      await clerk.waitForURL(`${edge}/`);
      assert.deepEqual(await navLabels(clerk), kClerkMenus);
      assert.match(await clerk.locator('main').textContent(), /窓口 次郎さん、ようこそ。/);
      assert.equal((await clerk.goto(`${edge}/staff`)).status(), 403);
      await clerk.goto(`${edge}/`);

      // The new password is at the hub before the administrator edits the account.
      await until('the edge outbox to drain', edgeOutboxDrained);
      await admin.goto(`${hub}/staff`);
      await admin.getByRole('link', { name: 'clerk02' }).click();
      await admin.waitForURL(`${hub}/staff/edit?id=clerk02`);
      const enabled = admin.getByLabel('有効（チェックを外すとログインできなくなります）');
      assert.ok(await enabled.isChecked());
      await enabled.focus();
      await admin.keyboard.press('Space');
      assert.ok(!(await enabled.isChecked()));
      await admin.getByRole('button', { name: '変更を保存する' }).click();
      await admin.waitForURL(`${hub}/staff?done=updated`);
      assert.ok((await rowTexts(admin)).some((r) => r.join('|') === 'clerk02|窓口 次郎|窓口職員|無効'));

      // Once the change is at the edge, the clerk's next request ends the open session.
      await until('clerk02 disabled at the edge', async () => (await edgeRecord('staff', 'clerk02'))?.enabled === false);
      await clerk.getByRole('link', { name: '交付管理' }).click();
      await clerk.waitForURL(`${edge}/sign-in`);
      assert.equal(await clerk.locator('h1').textContent(), 'ログイン');
      assert.deepEqual(await navLabels(clerk), []);
      assert.ok(!(await hasSessionCookie(clerk)));
      await signIn(clerk, edge, 'clerk02', 'Jiro-Pass-2027y');
      assert.match(await clerk.getByRole('alert').textContent(), /IDまたはパスワードが正しくありません。/);
      assert.ok(!(await hasSessionCookie(clerk)));

      // The counter's log of that sign-out reaches the administrators' operation log at the hub.
      await until('the edge outbox to drain', edgeOutboxDrained);
      await admin.goto(`${hub}/oplog?staff_id=clerk02&action=sign_out.account_disabled`);
      const rows = await rowTexts(admin);
      assert.ok(rows.some((r) => r.includes('ログアウト（アカウント無効）') && r.some((c) => c.includes(device))),
        JSON.stringify(rows));
    });

    test('ACC-3: staff CSV files (Shift_JIS and UTF-8) are previewed and applied; a file with errors applies nothing', async () => {
      const admin = await hubAdmin();
      const header = '職員ID,氏名,権限,有効,操作,初期パスワード\r\n';
      const upload = async (name, bytes, encodingLabel) => {
        const file = join(workDir, name);
        writeFileSync(file, bytes);
        await admin.goto(`${hub}/staff`);
        await admin.getByRole('link', { name: 'CSVファイルから取り込む' }).click();
        await admin.waitForURL(`${hub}/staff/import`);
        await admin.getByLabel('CSVファイル').setInputFiles(file);
        if (encodingLabel) await admin.getByLabel(encodingLabel, { exact: true }).check();
        return (await submit(admin, () => admin.getByRole('button', { name: '確認画面へ進む' }).click())).status();
      };
      const apply = async () => {
        await admin.getByRole('button', { name: 'この内容で反映する' }).click();
        await admin.waitForURL(`${hub}/staff?done=imported`);
        assert.match(await admin.getByRole('status').textContent(), /CSVファイルの内容を反映しました。/);
        return (await rowTexts(admin)).map((r) => r.join('|'));
      };

      // 1. Shift_JIS (CP932), encoding detected. 表 and 能 end in the byte 0x5C ("\") in CP932.
      const sjisText = `${header}csv01,表 一郎,窓口職員,有効,追加,Import-Pass-2026a\r\ncsv02,能 登子,コールセンター,有効,追加,Import-Pass-2026b\r\n`;
      const sjis = execFileSync('iconv', ['-f', 'UTF-8', '-t', 'CP932'], { input: Buffer.from(sjisText, 'utf8') });
      assert.ok(!sjis.equals(Buffer.from(sjisText, 'utf8')) && sjis.includes(Buffer.from([0x95, 0x5c])), 'a CP932 file');
      assert.equal(await upload('staff-sjis.csv', sjis), 200);
      assert.match(await admin.locator('table caption').textContent(), /追加 2件、変更 0件、削除 0件/);
      assert.deepEqual((await rowTexts(admin)).map((r) => r.join('|')), [
        '2|追加|csv01|表 一郎|窓口職員|有効',
        '3|追加|csv02|能 登子|コールセンター|有効',
      ]);
      let list = await apply();
      assert.ok(list.includes('csv01|表 一郎|窓口職員|有効'), list.join('\n'));
      assert.ok(list.includes('csv02|能 登子|コールセンター|有効'), list.join('\n'));

      // 2. UTF-8 with BOM, encoding chosen: a change and a removal.
      const utf8 = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(
        `${header}csv01,表 一朗,窓口職員,無効,変更,\r\ncsv02,,,,削除,\r\nadmin01,管理 太郎,管理者,有効,,\r\n`, 'utf8')]);
      assert.equal(await upload('staff-utf8.csv', utf8, 'UTF-8'), 200);
      assert.match(await admin.locator('table caption').textContent(), /追加 0件、変更 1件、削除 1件/);
      assert.deepEqual((await rowTexts(admin)).map((r) => r.join('|')), [
        '2|変更|csv01|表 一郎 → 表 一朗|窓口職員|有効 → 無効',
        '3|削除|csv02|能 登子|コールセンター|有効',
      ]);
      list = await apply();
      assert.ok(list.includes('csv01|表 一朗|窓口職員|無効'), list.join('\n'));
      assert.ok(!list.some((r) => r.startsWith('csv02|')), list.join('\n'));

      // 3. Errors on two lines (one add without a password, one unknown role): shown per line, no apply.
      const bad = Buffer.from(
        `${header}csv03,誤 一,窓口職員,有効,追加,\r\ncsv04,誤 二,課長,有効,追加,Import-Pass-2026c\r\n`, 'utf8');
      assert.equal(await upload('staff-bad.csv', bad), 422);
      const alert = admin.getByRole('alert');
      assert.match(await alert.locator('h2').textContent(), /取り込めません（2件のエラー）/);
      assert.deepEqual(await alert.locator('li').allTextContents(), [
        '2行目: 追加する職員には初期パスワードが必要です',
        '3行目: 権限「課長」がありません',
      ]);
      assert.equal(await admin.getByRole('button', { name: 'この内容で反映する' }).count(), 0);
      await admin.goto(`${hub}/staff`);
      const after = (await rowTexts(admin)).map((r) => r.join('|'));
      assert.deepEqual(after, list, 'the list is as before the bad file');
      assert.ok(!after.some((r) => r.startsWith('csv03|') || r.startsWith('csv04|')));
    });
  });
});
